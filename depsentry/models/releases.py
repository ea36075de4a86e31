"""What a package index says about a project: its releases and their files (`depsentry/index/`
produces them; outdated findings, the policy and the readiness check read them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["DistFile", "ProjectReleases", "Release"]


@dataclass(frozen=True, slots=True)
class DistFile:
    """One file of a release on an index (PEP 503/691/700 fields)."""

    filename: str
    requires_python: str | None = None
    yanked: bool = False
    upload_time: datetime | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """One version of a project on an index."""

    version: str
    upload_time: datetime | None
    yanked: bool
    requires_python: str | None
    files: tuple[DistFile, ...] = ()
    indexes: tuple[str, ...] = ()  # the index URLs that list it (credentials removed)


@dataclass(frozen=True, slots=True)
class ProjectReleases:
    """Everything the index says about one project, in no particular order."""

    name: str
    releases: tuple[Release, ...]
