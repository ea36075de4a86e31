"""The codemod registry: every shipped codemod, by name.

Entries are `module:Class` references resolved on first use, so a command that needs no codemod
does not import them, and one broken or missing codemod module does not hide the others.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache

from depsentry.codemods.interface import Case, Codemod, todo_comment
from depsentry.errors import CodemodError

__all__ = [
    "CODEMODS",
    "Case",
    "Codemod",
    "all_codemods",
    "get_codemod",
    "load_codemod",
    "resolve",
    "todo_comment",
]

logger = logging.getLogger(__name__)

# Listed in the order `depsentry codemod list` shows them.
CODEMODS: tuple[str, ...] = ("depsentry.codemods.openai_v1:OpenAIV1Codemod",)


def resolve(reference: str) -> type[Codemod]:
    """Import a `module:Class` reference; raises ModuleNotFoundError when the module is missing."""
    module_name, _, class_name = reference.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Codemod)):
        raise CodemodError(f"{reference}: no such Codemod subclass")
    return cls


def all_codemods() -> tuple[type[Codemod], ...]:
    """Every registered codemod whose module can be imported, in registry order."""
    return _load(CODEMODS)


def load_codemod(reference: str) -> type[Codemod] | None:
    """The codemod a registry entry names, or None (logged) when its module does not exist."""
    try:
        return resolve(reference)
    except ModuleNotFoundError as exc:
        # Only the registered module itself missing is tolerated; a missing dependency of it
        # is a real error and propagates.
        if exc.name != reference.partition(":")[0]:
            raise
        logger.warning("codemod %s is registered but its module is missing", reference)
        return None


@cache
def _load(references: tuple[str, ...]) -> tuple[type[Codemod], ...]:
    loaded = (load_codemod(reference) for reference in references)
    return tuple(codemod for codemod in loaded if codemod is not None)


def get_codemod(name: str) -> type[Codemod]:
    """The registered codemod called `name`; CodemodError naming the known ones otherwise."""
    codemods = all_codemods()
    for codemod in codemods:
        if name == codemod.NAME:
            return codemod
    known = ", ".join(c.NAME for c in codemods) or "none"
    raise CodemodError(f"unknown codemod {name!r} (known: {known})")
