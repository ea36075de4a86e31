"""libcst codemods for breaking upgrades: the interface, the registry (registry.py), the runner.

Importing this package is cheap: every name loads on first access, so `codemod list` and runs that
the pre-filter empties never import libcst, and a scan reading `upgrades.py` loads no registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from depsentry.codemods.interface import Case, Codemod, todo_comment
    from depsentry.codemods.registry import (
        CODEMODS,
        CodemodInfo,
        all_codemods,
        all_infos,
        describe,
        get_codemod,
    )

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

_LAZY = dict.fromkeys(("Case", "Codemod", "todo_comment"), "interface") | dict.fromkeys(
    ("CODEMODS", "CodemodInfo", "all_codemods", "all_infos", "describe", "get_codemod"), "registry"
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"depsentry.codemods.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
