"""The interface every advisory source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from depsentry.models import AdvisoryDbInfo, Dependency, Vulnerability


class AdvisorySource(ABC):
    """Finds the known vulnerabilities of many dependencies at once.

    `match()` takes the whole batch (a source that can batch must: one query per dependency is
    pip-audit's speed limit) and returns one `Vulnerability` per (dependency, advisory), with
    aliases already merged within the source. `info()` says which data was used.
    """

    name: str

    @abstractmethod
    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        """Return the vulnerabilities affecting `dependencies`."""

    @abstractmethod
    def info(self) -> AdvisoryDbInfo:
        """Describe the advisory data behind this source."""
