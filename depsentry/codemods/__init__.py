"""libcst codemods for breaking upgrades: the interface, the registry (registry.py), the runner.

Importing this package is cheap: the libcst-bound names (`Case`, `Codemod`, `todo_comment`) load on
first access, so `codemod list` and runs that the pre-filter empties never import libcst.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from depsentry.codemods.registry import (
    CODEMODS,
    CodemodInfo,
    all_codemods,
    all_infos,
    describe,
    get_codemod,
)

if TYPE_CHECKING:
    from depsentry.codemods.interface import Case, Codemod, todo_comment

__all__ = [
    "CODEMODS",
    "Case",
    "Codemod",
    "CodemodInfo",
    "all_codemods",
    "all_infos",
    "describe",
    "get_codemod",
    "todo_comment",
]

_LAZY = {"Case", "Codemod", "todo_comment"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("depsentry.codemods.interface"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
