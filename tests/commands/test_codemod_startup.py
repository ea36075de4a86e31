"""What `codemod run` imports before any file needs parsing: only what it uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pathspec import PathSpec

from depsentry.codemods import files

# libcst and the worker pool load when a file passes the pre-filter; pathspec when globs or a
# .gitignore need it; tempfile for writes; rich for a progress bar on a terminal.
UNUSED = (
    "libcst",
    "pathspec",
    "typing_extensions",
    "tempfile",
    "rich",
    "depsentry.codemods.pool",
    "depsentry.codemods.interface",
)


def _imported(args: list[str]) -> list[str]:
    probe = (
        "import sys; from depsentry.cli import main\n"
        f"code = main({args!r})\n"
        f"print(code, sorted(m for m in {UNUSED!r} if m in sys.modules))"
    )
    # Without coverage's start-up hooks: they import modules of their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120
    )
    return out.stdout.split(None, 1)


def test_a_run_the_prefilter_empties_imports_only_what_it_uses(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("print('hello')\n")
    assert _imported(["codemod", "run", "openai-v1", str(tmp_path)]) == ["0", "[]\n"]


@pytest.mark.parametrize("option", ["--include=*.pyi", "--exclude=build"])
def test_globs_beyond_the_default_still_work(tmp_path: Path, option: str) -> None:
    (tmp_path / "plain.py").write_text("print('hello')\n")
    code, imported = _imported(["codemod", "run", "openai-v1", option, str(tmp_path)])
    assert code == "0"
    assert "pathspec" in imported


@pytest.mark.parametrize(
    "name", ["a.py", "d/a.py", "d\n/a.py", ".py", "a.pyx", "a.py/b", "d/a.py\n", "a\n.py", "a"]
)
def test_the_default_include_matches_as_pathspec_does(name: str) -> None:
    expected = PathSpec.from_lines("gitignore", files.DEFAULT_INCLUDE).match_file(name)
    assert files._globs(files.DEFAULT_INCLUDE).match_file(name) is expected
