"""The layer rule (import-linter contracts in pyproject.toml) holds, and fails an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.skip("lint-imports (import-linter) is not installed in this interpreter's venv")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward", "contract"),
    [
        ("inputs/common.py", "import depsentry.commands.scan", "Layers point one way"),
        ("policy/model.py", "import depsentry.daemon", "Layers point one way"),
        ("report/summary.py", "import depsentry.codemods.upgrades", "Layers point one way"),
        ("codemods/upgrades.py", "import depsentry.models", "Codemods know nothing of the engine"),
    ],
)
def test_an_upward_import_breaks_the_build(
    tmp_path: Path, module: str, upward: str, contract: str
) -> None:
    shutil.copytree(
        REPO / "depsentry", tmp_path / "depsentry", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "depsentry" / module
    target.write_text(target.read_text() + f"\n{upward}  # upward on purpose\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout, result.stdout
