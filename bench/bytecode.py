"""Compile the project's bytecode before a benchmark times anything.

With PYTHONDONTWRITEBYTECODE set (it is on some machines), an editable checkout recompiles
every module at every start, which would be timed as start-up. Benchmarks call this first.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_bytecode() -> None:
    """Write __pycache__ for the package, as an installed wheel would have it."""
    compileall.compile_dir(ROOT / "depsentry", quiet=1, workers=0)
