"""The Python upgrade readiness report (`depsentry readiness`): a row per dependency and target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from depsentry.models import Source, UpdateType

__all__ = ["ProjectReadiness", "ReadinessReport", "ReadinessRow", "Verdict"]


Verdict = Literal["ready", "upgrade", "blocked", "source-only", "unknown"]


@dataclass(frozen=True, slots=True)
class ReadinessRow:
    """One dependency against a target Python: does its pin support it, from which release.

    `support` says how (or why not) the pinned release fits: "cp314 wheel", "abi3 wheel",
    "pure-Python wheel", "sdist only", "no 3.14 wheel", "requires Python <3.14", ...
    `lowest` is the lowest release of all that ships a fitting wheel; `target` the release the
    verdict proposes (the pin itself when ready, the lowest fitting one above it for an
    upgrade), `step` how far that is from the pin. `free_threaded` is whether `target` also
    installs on the free-threaded build (cpXYt, abi3t or pure Python), None without a target.
    """

    package: str
    version: str
    source: Source
    verdict: Verdict
    support: str
    supported: bool | None  # None: the index did not say (a failure, no files listed)
    lowest: str | None = None
    target: str | None = None
    step: UpdateType | None = None
    free_threaded: bool | None = None
    pinned: bool = True

    @property
    def verdict_text(self) -> str:
        """ready / upgrade to X / blocked: no release yet / builds from source only / unknown."""
        if self.verdict == "upgrade":
            return f"upgrade to {self.target}"
        return _VERDICT_TEXT[self.verdict]


_VERDICT_TEXT = {
    "ready": "ready",
    "upgrade": "upgrade",
    "blocked": "blocked: no release yet",
    "source-only": "builds from source only",
    "unknown": "unknown",
}


@dataclass(slots=True)
class ProjectReadiness:
    """The readiness rows of one project (or the error that kept it from being read)."""

    path: str
    root: str | None = None
    rows: list[ReadinessRow] = field(default_factory=list)
    error: str | None = None


@dataclass(slots=True)
class ReadinessReport:
    """A Python upgrade readiness report: every project's dependencies against `python`."""

    python: str
    generated_at: datetime
    projects: list[ProjectReadiness] = field(default_factory=list)
