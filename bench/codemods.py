"""Benchmark: `depsentry codemod run` against `python -m libcst.tool codemod`, same transform.

Both tools run the SAME codemod class (default openai-v1, `--codemod NAME` for another) as
subprocesses with the same number of jobs, over generated trees of ordinary modules (100-200
lines each): "mixed" (5% use the openai 0.x API, 1% merely mention it), "all-openai" (every file
uses it: the pre-filter skips nothing) and "big-file" (one 50,000-line module with one call).
With `--codemod langchain-imports` the matching files import from the old langchain paths and
use the names (SNIPPETS holds each codemod's corpus).
libcst.tool drives the class through libcst's own protocol (a deep copy per file, metadata over
the whole module, every file parsed); depsentry through its runner (file and sub-file
pre-filter, no copy). It prints a table (corpus, files, seconds and files/s of each, ratio,
whether both printed the same diffs) and the start-up time of `codemod list` and of
`codemod run NAME EMPTYDIR`. The default runs in a few minutes: depsentry's runs are the median
of --repeat, libcst.tool's (seconds to minutes each, so its spread matters less to the ratio)
of --libcst-repeat; --full runs the big file through libcst.tool too (minutes on its own).

    .venv/bin/python bench/codemods.py [--codemod openai-v1] [--jobs N] [--repeat 3]
        [--libcst-repeat 1] [--mixed 300] [--all 100] [--big-lines 50000] [--full] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bytecode import compile_bytecode

REPO = Path(__file__).resolve().parents[1]
OPENAI_SHARE = 0.05
# Ordinary files that merely mention openai (a comment, a string): parsed, left unchanged.
MENTION_SHARE = 0.01

OPENAI_IMPORT = "import os\n\nimport openai\n"
OPENAI_CODE = """
openai.api_key = os.environ["OPENAI_API_KEY"]
MODEL = "gpt-3.5-turbo"


def ask_{n}(question: str, history: list[dict[str, str]] | None = None) -> str:
    messages = [{{"role": "system", "content": "You are terse."}}, *(history or [])]
    messages.append({{"role": "user", "content": question}})
    response = openai.ChatCompletion.create(model=MODEL, messages=messages, temperature=0.2)
    return response["choices"][0]["message"]["content"]


def embed_{n}(texts: list[str]) -> list[list[float]]:
    result = openai.Embedding.create(model="text-embedding-ada-002", input=texts)
    return [item["embedding"] for item in result["data"]]


def complete_{n}(prompt: str) -> str:
    try:
        response = openai.Completion.create(model="gpt-3.5-turbo-instruct", prompt=prompt, max_tokens=64)
    except openai.error.RateLimitError:
        return ""
    return response["choices"][0]["text"]
"""

LANGCHAIN_IMPORT = """from langchain.chains import RetrievalQA
from langchain.chat_models import ChatOpenAI
from langchain.document_loaders import TextLoader
from langchain.embeddings.openai import OpenAIEmbeddings
from langchain.prompts import PromptTemplate
from langchain.schema import Document
from langchain.text_splitter import CharacterTextSplitter
from langchain.vectorstores import FAISS
"""
LANGCHAIN_CODE = """
PROMPT_{n} = PromptTemplate.from_template("Answer briefly: {{question}}")


def index_{n}(path: str) -> FAISS:
    docs = TextLoader(path).load()
    chunks = CharacterTextSplitter(chunk_size=500, chunk_overlap=50).split_documents(docs)
    return FAISS.from_documents(chunks, OpenAIEmbeddings())


def answer_{n}(store: FAISS, question: str) -> str:
    llm = ChatOpenAI(temperature=0)
    chain = RetrievalQA.from_chain_type(llm=llm, retriever=store.as_retriever())
    return chain.run(PROMPT_{n}.format(question=question))


def wrap_{n}(text: str) -> Document:
    return Document(page_content=text, metadata={{"source": "bench"}})
"""


@dataclass(frozen=True)
class Snippet:
    """What a matching file of a codemod's corpus holds: imports, code, and the word it matches."""

    imports: str
    code: str
    word: str
    big_tail: str  # what the big file ends with


SNIPPETS = {
    "openai-v1": Snippet(
        OPENAI_IMPORT,
        OPENAI_CODE,
        "openai",
        '\n\nimport openai\n\n\ndef ask(question):\n    r = openai.ChatCompletion.create(model="m", '
        'messages=[{"role": "user", "content": question}])\n'
        '    return r["choices"][0]["message"]["content"]\n',
    ),
    "langchain-imports": Snippet(
        LANGCHAIN_IMPORT,
        LANGCHAIN_CODE,
        "langchain",
        "\n\nfrom langchain.llms import OpenAI\n\n\ndef ask(question):\n"
        "    return OpenAI(temperature=0).invoke(question)\n",
    ),
}

BLOCKS = [
    '''
class {Name}Repository:
    """Keeps {name} records in memory, keyed by id."""

    def __init__(self, items: Iterable[{Name}] = ()) -> None:
        self._items: dict[int, {Name}] = {{item.id: item for item in items}}

    def get(self, item_id: int) -> {Name} | None:
        return self._items.get(item_id)

    def add(self, item: {Name}) -> None:
        if item.id in self._items:
            raise KeyError(f"duplicate {name} {{item.id}}")
        self._items[item.id] = item

    def active(self) -> list[{Name}]:
        return sorted((i for i in self._items.values() if i.active), key=lambda i: i.created)
''',
    """
@dataclass(frozen=True)
class {Name}:
    id: int
    title: str
    created: datetime
    active: bool = True
    tags: tuple[str, ...] = field(default_factory=tuple)

    def with_tag(self, tag: str) -> {Name}:
        return replace(self, tags=(*self.tags, tag))

    @property
    def age_days(self) -> float:
        return (datetime.now(timezone.utc) - self.created).total_seconds() / 86400
""",
    '''
def load_{name}(path: Path) -> list[dict[str, object]]:
    """Read {name} rows from a JSON-lines file, skipping blank lines."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                logger.warning("%s:%d: %s", path, number, exc.msg)
    return rows
''',
    """
def summarize_{name}(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {{"count": 0, "mean": 0.0, "max": 0.0}}
    total = sum(values)
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {{
        "count": float(len(values)),
        "mean": total / len(values),
        "median": median,
        "max": max(values),
    }}
""",
    """
async def fetch_{name}(session: Any, urls: list[str], limit: int = 8) -> dict[str, int]:
    semaphore = asyncio.Semaphore(limit)

    async def one(url: str) -> tuple[str, int]:
        async with semaphore:
            async with session.get(url) as response:
                return url, response.status

    results = await asyncio.gather(*(one(u) for u in urls), return_exceptions=True)
    return {{url: status for url, status in results if not isinstance(url, BaseException)}}
""",
    '''
class {Name}Error(Exception):
    """Raised when a {name} cannot be processed."""

    def __init__(self, message: str, *, code: int = 0) -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return f"{{self.args[0]}} (code {{self.code}})"
''',
    """
def parse_{name}_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Process {name} files.")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--verbose", "-v", action="count", default=0)
    args = parser.parse_args(argv)
    if args.limit <= 0:
        parser.error("--limit must be positive")
    return args
""",
]

HEADER = '''\
"""{Name} utilities: loading, summarising and fetching {name} data."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
'''

WORDS = [
    "order",
    "invoice",
    "customer",
    "ticket",
    "report",
    "sensor",
    "metric",
    "user",
    "account",
    "payment",
    "shipment",
]


def module(rng: random.Random, index: int, kind: str, snippet: Snippet) -> str:
    """An ordinary module; `kind` "match" adds the snippet's imports and code (openai v0 calls,
    old langchain imports), "mention" a comment naming the snippet's word."""
    word = rng.choice(WORDS)
    name, cls = f"{word}{index}", f"{word.capitalize()}{index}"
    parts = [HEADER.format(Name=cls, name=name)]
    if kind == "match":
        parts[0] = parts[0].replace(
            "from typing import Any\n", "from typing import Any\n\n" + snippet.imports
        )
        parts.append(snippet.code.format(n=index))
    elif kind == "mention":
        parts.append(
            f"\n# Kept free of {snippet.word} on purpose: this module must work offline.\n"
        )
    target = rng.randint(100, 200)
    lines, round_ = sum(p.count("\n") for p in parts), 0
    while lines < target:
        blocks = BLOCKS.copy()
        rng.shuffle(blocks)
        for block in blocks:
            text = "\n" + block.format(Name=f"{cls}{'_' * round_}", name=f"{name}{'_' * round_}")
            parts.append(text)
            lines += text.count("\n")
            if lines >= target:
                break
        round_ += 1
    return "".join(parts)


def generate(
    root: Path,
    count: int,
    share: float = OPENAI_SHARE,
    seed: int = 1,
    snippet: Snippet = SNIPPETS["openai-v1"],
) -> tuple[int, int]:
    """Write `count` modules under `root` in nested packages; return (matching files, mentions)."""
    rng = random.Random(seed)
    n_openai = n_mention = 0
    for index in range(count):
        package = root / f"pkg{index % 50:02}" / f"sub{index % 7}"
        package.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        kind = "match" if roll < share else "plain"
        if kind == "plain" and roll < share + MENTION_SHARE:
            kind = "mention"
        n_openai += kind == "match"
        n_mention += kind == "mention"
        text = module(rng, index, kind, snippet)
        (package / f"mod{index:05}.py").write_text(text)
    return n_openai, n_mention


SHIM = """
from {module} import {cls} as _Codemod


class Shim(_Codemod):
    def __init__(self, context):
        super().__init__(context)  # libcst.tool passes only a context: the default options
"""


def _reference(name: str) -> str:
    sys.path.insert(0, str(REPO))
    from depsentry.codemods.registry import CODEMODS

    return CODEMODS.entries[name]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return Path("/proc/loadavg").read_text().strip()


# CPU seconds (user + system, the tool's worker processes included) of each measured command,
# printed beside wall time: on a shared, loaded machine they move less.
CPU: dict[str, list[float]] = {}


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, str, int]:
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)
    CPU.setdefault(" ".join(args), []).append(_cpu() - cpu)
    return time.perf_counter() - start, done.stdout, done.stderr, done.returncode


def _diffs(output: str, root: Path) -> dict[str, list[str]]:
    """Changed lines per file (relative path), whatever each tool's diff headers look like."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith("+++ "):
            path = line[4:].strip()
            current = found.setdefault(os.path.relpath(path, root), [])
        elif line.startswith("--- ") or line.startswith("@@"):
            continue
        elif current is not None and line[:1] in "+-":
            current.append(line.rstrip("\n"))
    return found


def _measure(
    label: str, cmd: list[str], env: dict[str, str], cwd: Path, repeat: int
) -> tuple[float, str]:
    times, out = [], ""
    for _ in range(repeat):
        seconds, out, err, code = _timed(cmd, env, cwd)
        if code not in (0, 1):
            raise SystemExit(f"{label} failed (exit {code}):\n{err[-3000:]}")
        times.append(seconds)
    return statistics.median(times), out


def _big_file(root: Path, lines: int, snippet: Snippet) -> None:
    rng = random.Random(7)
    parts = [HEADER.format(Name="Big", name="big")]
    count, index = 0, 0
    while count < lines:
        block = rng.choice(BLOCKS).format(Name=f"Big{index}", name=f"big{index}")
        parts.append("\n" + block)
        count += block.count("\n") + 1
        index += 1
    parts.append(snippet.big_tail)
    root.mkdir(parents=True)
    (root / "big.py").write_text("".join(parts))


def _startup(env: dict[str, str], name: str, work: Path, repeat: int) -> list[tuple[str, float]]:
    empty = work / "empty"
    empty.mkdir()
    base = [str(Path(sys.executable).with_name("depsentry"))]
    rows = []
    for label, cmd in (
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("depsentry codemod list", [*base, "codemod", "list"]),
        (f"depsentry codemod run {name} EMPTYDIR", [*base, "codemod", "run", name, str(empty)]),
    ):
        rows.append((label, _measure(label, cmd, env, work, repeat)[0]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codemod", default="openai-v1", help="registry name of the codemod")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="depsentry runs; the median is kept")
    parser.add_argument("--libcst-repeat", type=int, default=1, help="libcst.tool runs (median)")
    parser.add_argument("--mixed", type=int, default=300, help="files in the mixed corpus")
    parser.add_argument("--all", type=int, default=100, help="files in the all-openai corpus")
    parser.add_argument("--big-lines", type=int, default=50_000)
    parser.add_argument("--full", action="store_true", help="libcst.tool on the big file too")
    parser.add_argument("--keep", action="store_true", help="keep the generated trees")
    args = parser.parse_args()
    compile_bytecode()

    work = Path(tempfile.mkdtemp(prefix="depsentry-bench-"))
    reference = _reference(args.codemod)
    module, _, cls = reference.partition(":")
    (work / "bench_shim.py").write_text(SHIM.format(module=module, cls=cls))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(work), str(REPO)])}
    depsentry = [str(Path(sys.executable).with_name("depsentry")), "codemod", "run", args.codemod, "--diff", "--jobs", str(args.jobs)]  # fmt: skip
    libcst_tool = [
        # The class comes first: libcst.tool's first parsing pass takes the first positional.
        sys.executable, "-m", "libcst.tool", "codemod", "-x", "bench_shim.Shim", "--no-format",
        "--hide-progress", "--unified-diff=3", "-j", str(args.jobs),
    ]  # fmt: skip

    snippet = SNIPPETS.get(args.codemod, SNIPPETS["openai-v1"])
    corpora = []
    generate(work / "mixed", args.mixed, snippet=snippet)
    corpora.append((f"mixed (5% {snippet.word})", work / "mixed", args.mixed, True))
    generate(work / "all", args.all, share=1.0, snippet=snippet)
    corpora.append((f"all-{snippet.word}", work / "all", args.all, True))
    _big_file(work / "big", args.big_lines, snippet)
    corpora.append((f"big-file ({args.big_lines} lines)", work / "big", 1, args.full))

    print(f"load average at start: {_load()}")
    print(
        f"codemod {args.codemod}, jobs={args.jobs}, median of {args.repeat} runs "
        f"(libcst.tool: {args.libcst_repeat})"
    )
    header = (
        f"{'corpus':28} {'files':>6} {'depsentry s':>12} {'files/s':>9} {'CPU s':>7} "
        f"{'libcst s':>10} {'files/s':>9} {'CPU s':>7} {'ratio':>7}  same diffs"
    )
    print(header)
    print("-" * len(header))
    for label, tree, files, with_libcst in corpora:
        ours_cmd = [*depsentry, str(tree)]
        ours, our_out = _measure("depsentry", ours_cmd, env, work, args.repeat)
        cpu = statistics.median(CPU[" ".join(ours_cmd)])
        row = f"{label:28} {files:>6} {ours:>12.2f} {files / ours:>9.1f} {cpu:>7.2f}"
        if not with_libcst:
            print(f"{row} {'-':>10} {'-':>9} {'-':>7} {'-':>7}  -")
            continue
        their_cmd = [*libcst_tool, str(tree)]
        theirs, their_out = _measure("libcst.tool", their_cmd, env, work, args.libcst_repeat)
        their_cpu = statistics.median(CPU[" ".join(their_cmd)])
        same = _diffs(our_out, tree) == _diffs(their_out, tree)
        changed = len(_diffs(our_out, tree))
        print(
            f"{row} {theirs:>10.2f} {files / theirs:>9.1f} {their_cpu:>7.2f} {theirs / ours:>6.1f}x"
            f"  {'yes' if same else 'NO'} ({changed} changed)"
        )
    print()
    for label, seconds in _startup(env, args.codemod, work, max(5, args.repeat)):
        print(f"start-up  {label:45} {seconds:6.3f} s")
    print(f"load average at the end: {_load()}")
    if args.keep:
        print(f"trees kept in {work}")
    else:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
