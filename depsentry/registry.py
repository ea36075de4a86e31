"""The one registry shape every plugin family uses: name -> "module:Class", imported on first use.

Hand-written (not entry points) so that a reader sees each family's members at a glance in its
`registry.py`, in order, and `depsentry scan` never imports a backend it does not use.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar, cast

from depsentry.errors import ConfigError, DepsentryError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """The members of one family (`family` names it in errors), in the order given.

    `entries` maps each member's name (kebab-case, the CLI choice) to "module:Class";
    `load(name)` imports it and checks that it is a subclass of `base`; an unknown name raises
    `error` (the family's own error type, so the CLI reports it like the family's other errors).
    """

    def __init__(
        self,
        family: str,
        base: type,  # not type[T]: mypy refuses abstract classes there (type-abstract)
        entries: Mapping[str, str],
        *,
        error: type[DepsentryError] = ConfigError,
    ) -> None:
        self.family = family
        self.base = base
        self.entries = dict(entries)
        self.error = error
        self._loaded: dict[str, type[T]] = {}

    def names(self) -> tuple[str, ...]:
        """Every member's name, in registry order (the CLI's choices)."""
        return tuple(self.entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def load(self, name: str) -> type[T]:
        """The class registered as `name`; ConfigError naming the known ones otherwise."""
        if name not in self.entries:
            raise self.error(
                f"unknown {self.family} {name!r}; choose from {', '.join(self.entries)}"
            )
        if name not in self._loaded:
            self._loaded[name] = self._import(self.entries[name])
        return self._loaded[name]

    def load_all(self) -> tuple[type[T], ...]:
        """Every member, in registry order."""
        return tuple(self.load(name) for name in self.entries)

    def _import(self, reference: str) -> type[T]:
        module_name, _, attribute = reference.partition(":")
        cls = getattr(importlib.import_module(module_name), attribute, None)
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise self.error(f"{reference}: not a {self.base.__name__} subclass ({self.family})")
        return cast("type[T]", cls)
