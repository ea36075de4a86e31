"""The interface every advisory source implements, and the options sources are opened with."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from depsentry.models import AdvisoryDbInfo, Dependency, Vulnerability


@dataclass(frozen=True)
class SourceOptions:
    """What the CLI or the daemon says about advisory sources; each source reads its own part."""

    osv_db: Path | None = None
    offline: bool = False
    osv_api_url: str | None = None
    pip_audit_osv_url: str | None = None
    safety_db: Path | None = None
    allow_embedded: bool = True


class AdvisorySource(ABC):
    """Finds the known vulnerabilities of many dependencies at once.

    `open()` builds the source from `SourceOptions`, failing (AdvisoryDbError) when it cannot
    work as configured, before any project is read. `match()` takes the whole batch (a source
    that can batch must: one query per dependency is pip-audit's speed limit) and returns one
    `Vulnerability` per (dependency, advisory), with aliases already merged within the source.
    `info()` says which data was used. `prepare()` may do the work of a scan's whole pin set
    at once before its projects are matched one by one.
    """

    name: str

    @classmethod
    def open(cls, options: SourceOptions) -> Self:
        """Build this source as `options` configure it (every registered source implements it)."""
        raise NotImplementedError(f"{cls.__name__} cannot be opened from options")

    @abstractmethod
    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """Return the vulnerabilities affecting `dependencies`."""

    def prepare(self, dependencies: Sequence[Dependency]) -> None:  # noqa: B027 - optional
        """Get ready to match `dependencies` (a scan's whole set, before its projects are matched
        one by one); by default nothing."""

    def forget(self) -> None:  # noqa: B027 - optional
        """Drop what matching cached (matching again loads it); by default nothing."""

    @abstractmethod
    def info(self) -> AdvisoryDbInfo:
        """Describe the advisory data behind this source."""
