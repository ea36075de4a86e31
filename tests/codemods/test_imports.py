"""ImportEdits: imports added where isort puts them (ruff I001 stays clean), and removed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from depsentry.codemods.imports import ImportEdits, member_key, section_of

RUFF = Path(sys.executable).with_name("ruff")

Add = tuple[str, ...]

# (name, source, added, removed, expected)
SCENARIOS: list[tuple[str, str, list[Add], list[Add], str]] = [
    (
        "stdlib-and-third-party",
        "import os\n\nimport openai\n\nx = 1\n",
        [("functools",), ("openai", "OpenAI")],
        [],
        "import functools\nimport os\n\nimport openai\nfrom openai import OpenAI\n\nx = 1\n",
    ),
    (
        "after-a-docstring-before-a-function",
        '"""Doc."""\n\nimport openai\n\n\ndef f():\n    pass\n',
        [("os",), ("openai", "OpenAI")],
        [],
        '"""Doc."""\n\nimport os\n\nimport openai\nfrom openai import OpenAI\n\n\ndef f():\n    pass\n',
    ),
    (
        "replace-a-removed-name",
        "from openai import ChatCompletion\n\nr = 1\n",
        [("openai",), ("openai", "OpenAI")],
        [("openai", "ChatCompletion")],
        "import openai\nfrom openai import OpenAI\n\nr = 1\n",
    ),
    (
        "no-imports-yet",
        '"""Doc."""\n\nx = 1\n',
        [("functools",)],
        [],
        '"""Doc."""\n\nimport functools\n\nx = 1\n',
    ),
    (
        "no-imports-before-a-function",
        "def f():\n    pass\n",
        [("os",)],
        [],
        "import os\n\n\ndef f():\n    pass\n",
    ),
    (
        "future-first",
        "from __future__ import annotations\n\nimport sys\n\nimport requests\n\ny = 1\n",
        [("asyncio",), ("openai", "OpenAI")],
        [],
        "from __future__ import annotations\n\nimport asyncio\nimport sys\n\nimport requests\n"
        "from openai import OpenAI\n\ny = 1\n",
    ),
    (
        "merge-in-name-order",
        "import json\n\nfrom openai import BadRequestError, RateLimitError\n\nx = 1\n",
        [("openai", "NotFoundError"), ("openai", "OpenAI")],
        [],
        "import json\n\nfrom openai import BadRequestError, NotFoundError, OpenAI, RateLimitError\n"
        "\nx = 1\n",
    ),
    (
        "parenthesised-removal",
        "import os\n\nfrom openai import (\n    ChatCompletion,\n    Embedding,\n)\n\nx = 1\n",
        [("openai", "OpenAI")],
        [("openai", "ChatCompletion")],
        "import os\n\nfrom openai import (\n    Embedding,\n    OpenAI,\n)\n\nx = 1\n",
    ),
    (
        "header-comment-stays-on-top",
        "# a header comment\nimport openai  # noqa: F401\n\nx = 1\n",
        [("functools",)],
        [],
        "# a header comment\nimport functools\n\nimport openai  # noqa: F401\n\nx = 1\n",
    ),
    (
        "first-party-after-third-party",
        "import os\n\nimport requests\n\nimport myapp\n\nx = 1\n",
        [("openai", "OpenAI")],
        [],
        "import os\n\nimport requests\nfrom openai import OpenAI\n\nimport myapp\n\nx = 1\n",
    ),
    (
        "already-there",
        "import functools\n\nfrom openai import OpenAI\n\nx = 1\n",
        [("functools",), ("openai", "OpenAI")],
        [],
        "import functools\n\nfrom openai import OpenAI\n\nx = 1\n",
    ),
    (
        "an-alias-gets-its-own-line",
        "from openai import OpenAI\n\nx = 1\n",
        [("openai", "RateLimitError", "RLE")],
        [],
        "from openai import OpenAI\nfrom openai import RateLimitError as RLE\n\nx = 1\n",
    ),
    (
        "a-comment-above-the-block-stays-above-it",
        '"""Doc."""\n# about the imports\nimport openai\n\nx = 1\n',
        [("os",)],
        [],
        '"""Doc."""\n# about the imports\nimport os\n\nimport openai\n\nx = 1\n',
    ),
    (
        "removing-the-last-import-keeps-its-comment",
        "import os\n\n# why openai\nimport openai\n\nx = 1\n",
        [],
        [("openai",)],
        "import os\n\n# why openai\nx = 1\n",
    ),
]


def _apply(source: str, added: list[Add], removed: list[Add]) -> str:
    edits = ImportEdits()
    for request in added:
        edits.add(*request)
    for request in removed:
        edits.remove(*request)
    return edits.apply(cst.parse_module(source), first_party={"myapp"}).code


@pytest.mark.parametrize(
    ("source", "added", "removed", "expected"),
    [pytest.param(*rest, id=name) for name, *rest in SCENARIOS],
)
def test_edits(source: str, added: list[Add], removed: list[Add], expected: str) -> None:
    assert _apply(source, added, removed) == expected


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed beside this interpreter")
def test_ruff_finds_the_results_sorted(tmp_path: Path) -> None:
    """Every scenario whose input ruff accepts gives an output ruff accepts (I001)."""
    (tmp_path / "myapp").mkdir()  # so that ruff, too, sees myapp as first party
    (tmp_path / "myapp" / "__init__.py").write_text("")
    for name, source, added, removed, _ in SCENARIOS:
        (tmp_path / f"in_{name.replace('-', '_')}.py").write_text(source)
        (tmp_path / f"out_{name.replace('-', '_')}.py").write_text(_apply(source, added, removed))
    result = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "I", "--output-format", "concise", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    flagged = {
        line.split(":")[0].removeprefix("./")
        for line in result.stdout.splitlines()
        if ".py:" in line
    }
    bad_inputs = {f.removeprefix("in_") for f in flagged if f.startswith("in_")}
    bad_outputs = {f.removeprefix("out_") for f in flagged if f.startswith("out_")}
    assert bad_outputs <= bad_inputs, result.stdout


def test_sections_and_member_order() -> None:
    assert [section_of(m) for m in ("__future__", "os.path", "openai", "myapp")] == [0, 1, 2, 2]
    assert section_of("myapp.x", first_party={"myapp"}) == 3
    assert section_of("x", relative=True) == 4
    names = ["client", "OpenAI", "MAX", "BadRequestError", "a"]
    assert sorted(names, key=member_key) == ["MAX", "BadRequestError", "OpenAI", "a", "client"]


def test_no_edits_return_the_same_tree() -> None:
    module = cst.parse_module("import os\n")
    assert ImportEdits().apply(module) is module
