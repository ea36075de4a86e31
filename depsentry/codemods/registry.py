"""The codemod registry: every shipped codemod, by name, imported on first use.

A command that needs no codemod does not import them, and one registered codemod whose module is
missing does not hide the others. `describe(name)` answers what `codemod list`, option checks and
the pre-filter need from a package's light `INFO` record, without importing libcst.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from depsentry.errors import CodemodError
from depsentry.registry import Registry

if TYPE_CHECKING:
    from depsentry.codemods.interface import Codemod

__all__ = ["CODEMODS", "CodemodInfo", "all_codemods", "all_infos", "describe", "get_codemod"]

logger = logging.getLogger(__name__)


class _CodemodRegistry(Registry["Codemod"]):
    """A Registry whose base class (which needs libcst) is imported when a codemod is loaded."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        super().__init__("codemod", object, entries, error=CodemodError)

    def _import(self, reference: str) -> type[Codemod]:
        from depsentry.codemods.interface import Codemod

        self.base = Codemod
        return super()._import(reference)


# In the order `depsentry codemod list` shows them.
CODEMODS: Registry[Codemod] = _CodemodRegistry(
    {
        "openai-v1": "depsentry.codemods.openai_v1:OpenAIV1Codemod",
        "langchain-imports": "depsentry.codemods.langchain_imports:LangChainImportsCodemod",
        "redis-asyncio": "depsentry.codemods.redis_asyncio:RedisAsyncioCodemod",
    }
)


@dataclass(frozen=True)
class CodemodInfo:
    """A codemod's description, readable without importing it (the `Codemod` class attributes).

    A codemod package may define `INFO = CodemodInfo(...)` next to its lazily imported class;
    `reference` ("module:Class") is filled in by `describe`.
    """

    NAME: str
    PACKAGE: str
    FROM: str
    TO: str
    DESCRIPTION: str
    PREFILTER: tuple[str, ...]
    OPTIONS: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reference: str = ""

    @classmethod
    def of(cls, codemod: Any, reference: str = "") -> CodemodInfo:
        """The description of a loaded `Codemod` class."""
        return cls(
            codemod.NAME,
            codemod.PACKAGE,
            codemod.FROM,
            codemod.TO,
            codemod.DESCRIPTION,
            tuple(codemod.PREFILTER),
            dict(codemod.OPTIONS),
            reference,
        )

    def load(self) -> type[Codemod]:
        """The codemod class itself (this imports libcst)."""
        module_name, _, attribute = self.reference.partition(":")
        cls = getattr(importlib.import_module(module_name), attribute, None)
        from depsentry.codemods.interface import Codemod

        if not (isinstance(cls, type) and issubclass(cls, Codemod)):
            raise CodemodError(f"{self.reference}: not a Codemod subclass (codemod)")
        return cls


def describe(name: str, registry: Registry[Codemod] | None = None) -> CodemodInfo:
    """The registered codemod `name`, described from its module's `INFO` when it has one."""
    registry = CODEMODS if registry is None else registry
    if name not in registry:
        registry.load(name)  # raises the registry's "unknown codemod" error
    reference = registry.entries[name]
    module = importlib.import_module(reference.partition(":")[0])
    info = getattr(module, "INFO", None)
    if isinstance(info, CodemodInfo) and name == info.NAME:
        return replace(info, reference=reference)
    return CodemodInfo.of(registry.load(name), reference)


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


def all_infos() -> tuple[CodemodInfo, ...]:
    """Every registered codemod's description (light where it can be), in registry order."""
    found = []
    for name, reference in CODEMODS.entries.items():
        try:
            found.append(describe(name))
        except ModuleNotFoundError as exc:
            if exc.name != reference.partition(":")[0]:
                raise
            logger.warning("codemod %s is registered but its module is missing", reference)
    return tuple(found)


def get_codemod(name: str) -> type[Codemod]:
    """The registered codemod called `name`; CodemodError naming the known ones otherwise."""
    return CODEMODS.load(name)
