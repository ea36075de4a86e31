"""libcst codemods for breaking upgrades: the interface, the registry (registry.py), the runner."""

from __future__ import annotations

from depsentry.codemods.interface import Case, Codemod, todo_comment
from depsentry.codemods.registry import CODEMODS, all_codemods, get_codemod

__all__ = ["CODEMODS", "Case", "Codemod", "all_codemods", "get_codemod", "todo_comment"]
