"""Benchmark: `depsentry codemod run openai-v1 --diff` against `python -m libcst.tool codemod`.

Generates a tree of ordinary Python modules (100-200 lines each) in which 5% use the openai 0.x
API, then runs the SAME codemod class over it with both tools as subprocesses, the same number
of jobs, and prints files/second for each and the ratio. libcst.tool parses every file;
depsentry skips the ones that cannot need the rewrite by a text pre-filter.

    .venv/bin/python bench/codemods.py [--files 5000] [--jobs N] [--repeat 1] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

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


def module(rng: random.Random, index: int, kind: str) -> str:
    """An ordinary module; `kind` "openai" adds v0 calls, "mention" a comment naming openai."""
    word = rng.choice(WORDS)
    name, cls = f"{word}{index}", f"{word.capitalize()}{index}"
    parts = [HEADER.format(Name=cls, name=name)]
    if kind == "openai":
        parts[0] = parts[0].replace(
            "from typing import Any\n", "from typing import Any\n\n" + OPENAI_IMPORT
        )
        parts.append(OPENAI_CODE.format(n=index))
    elif kind == "mention":
        parts.append("\n# Kept free of openai on purpose: this module must work offline.\n")
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


def generate(root: Path, count: int, seed: int = 1) -> tuple[int, int]:
    """Write `count` modules under `root` in nested packages; return (openai files, mentions)."""
    rng = random.Random(seed)
    n_openai = n_mention = 0
    for index in range(count):
        package = root / f"pkg{index % 50:02}" / f"sub{index % 7}"
        package.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        kind = "openai" if roll < OPENAI_SHARE else "plain"
        if kind == "plain" and roll < OPENAI_SHARE + MENTION_SHARE:
            kind = "mention"
        n_openai += kind == "openai"
        n_mention += kind == "mention"
        text = module(rng, index, kind)
        (package / f"mod{index:05}.py").write_text(text)
    return n_openai, n_mention


def _openai_available() -> bool:
    probe = "import depsentry.codemods.openai_v1 as m; m.OpenAIV1Codemod"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, str, int]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)
    return time.perf_counter() - start, done.stdout, done.stderr, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the best is kept")
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="depsentry-bench-"))
    tree = work / "tree"
    n_openai, n_mention = generate(tree, args.files)
    lines = sum(p.read_text().count("\n") for p in tree.rglob("*.py"))
    print(
        f"tree: {args.files} files, {lines} lines, {n_openai} using openai 0.x, {n_mention} mentioning it; jobs={args.jobs}"
    )

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(work), str(REPO)])}
    if _openai_available():
        name, reference = "openai-v1", "depsentry.codemods.openai_v1:OpenAIV1Codemod"
    else:
        print(
            "NOTE: depsentry.codemods.openai_v1 is not available; timing the test codemod foo-baz instead"
        )
        name, reference = "foo-baz", "tests.codemods.sample:FooBazCodemod"
    module, _, cls = reference.partition(":")
    # libcst.tool instantiates the class with only a context: the shim pins the default options,
    # so both tools run the very same transform.
    (work / "bench_shim.py").write_text(
        textwrap.dedent(
            f"""
            from {module} import {cls} as _Codemod


            class Shim(_Codemod):
                def __init__(self, context):
                    super().__init__(context)
            """
        )
    )
    # Make sure depsentry runs the same class, even when it is the fallback.
    depsentry_cmd = [
        sys.executable,
        "-c",
        "import sys, depsentry.codemods.registry as r; "
        f"r.CODEMODS.entries = {{{name!r}: {reference!r}}}; "
        "from depsentry.cli import main; sys.exit(main(sys.argv[1:]))",
        "codemod", "run", name, "--diff", "--jobs", str(args.jobs), str(tree),
    ]  # fmt: skip
    libcst_cmd = [
        # The class comes first: libcst.tool's first parsing pass takes the first positional.
        sys.executable, "-m", "libcst.tool", "codemod", "-x", "bench_shim.Shim", "--no-format",
        "--hide-progress", "--unified-diff=3", "-j", str(args.jobs), str(tree),
    ]  # fmt: skip

    timings: dict[str, float] = {}
    for label, cmd in (("depsentry", depsentry_cmd), ("libcst.tool", libcst_cmd)):
        best = float("inf")
        for _ in range(args.repeat):
            seconds, out, err, code = _timed(cmd, env, work)
            if code not in (0, 1):
                print(f"{label} failed (exit {code}):\n{err[-2000:]}", file=sys.stderr)
                return 1
            best = min(best, seconds)
        changed = out.count("\n+++ ") + out.startswith("+++ ")
        summary = err.strip().splitlines()[-1] if err.strip() else ""
        print(
            f"{label:12} {best:7.2f} s  {args.files / best:8.0f} files/s  diffs for {changed} files  [{summary}]"
        )
        timings[label] = best
    print(f"ratio: depsentry is {timings['libcst.tool'] / timings['depsentry']:.1f}x libcst.tool")
    if args.keep:
        print(f"tree kept in {work}")
    else:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
