"""The codemod registry: every shipped codemod, by name, imported on first use.

A command that needs no codemod does not import them, and one registered codemod whose module is
missing does not hide the others.
"""

from __future__ import annotations

import logging

from depsentry.codemods.interface import Codemod
from depsentry.errors import CodemodError
from depsentry.registry import Registry

__all__ = ["CODEMODS", "all_codemods", "get_codemod"]

logger = logging.getLogger(__name__)

# In the order `depsentry codemod list` shows them.
CODEMODS: Registry[Codemod] = Registry(
    "codemod",
    Codemod,
    {
        "openai-v1": "depsentry.codemods.openai_v1:OpenAIV1Codemod",
    },
    error=CodemodError,
)


def all_codemods() -> tuple[type[Codemod], ...]:
    """Every registered codemod whose module can be imported, in registry order."""
    found = []
    for name, reference in CODEMODS.entries.items():
        try:
            found.append(CODEMODS.load(name))
        except ModuleNotFoundError as exc:
            # Only the registered module itself missing is tolerated; a missing dependency of it
            # is a real error and propagates.
            if exc.name != reference.partition(":")[0]:
                raise
            logger.warning("codemod %s is registered but its module is missing", reference)
    return tuple(found)


def get_codemod(name: str) -> type[Codemod]:
    """The registered codemod called `name`; CodemodError naming the known ones otherwise."""
    return CODEMODS.load(name)
