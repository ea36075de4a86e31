"""The interface every dependency input format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from depsentry.models import Dependency, Skipped


class InputReader(ABC):
    """Reads the dependencies one file format declares or locks.

    Implementers set `name` (kebab-case registry name) and `is_lockfile`; the file-name globs a
    reader claims during discovery, `patterns`, are its entry in `registry.PATTERNS`, which
    discovery reads without importing any reader. `read()` yields a `Dependency` for every exact pin
    and a `Skipped` for every requirement it cannot pin (ranges, URLs, editables, bad entries);
    it raises `InputError` (via `depsentry.errors.reading`) when the file as a whole is unusable.
    """

    name: ClassVar[str]
    is_lockfile: ClassVar[bool] = False

    @property
    def patterns(self) -> tuple[str, ...]:
        from depsentry.inputs.registry import PATTERNS  # the registry imports this module

        return PATTERNS[self.name]

    @abstractmethod
    def read(self, path: Path) -> Iterator[Dependency | Skipped]:
        """Yield every dependency or skipped requirement in `path`, each with its file and line."""

    def bump(self, path: Path, name: str, version: str) -> bool:
        """Rewrite the pin of `name` in `path` to `version`; False when this format is not edited."""
        return False
