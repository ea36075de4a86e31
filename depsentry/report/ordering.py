"""The one sort order every report uses, so that the same scan always renders the same text."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from packaging.version import InvalidVersion, Version

from depsentry.models import (
    Dependency,
    Outdated,
    Skipped,
    Source,
    Violation,
    Vulnerability,
)

__all__ = [
    "sorted_dependencies",
    "sorted_outdated",
    "sorted_skipped",
    "sorted_versions",
    "sorted_violations",
    "sorted_vulnerabilities",
    "upgrade_target",
    "version_key",
]


@lru_cache(maxsize=1 << 16)  # a big report sorts by a few thousand distinct versions, 100k times
def version_key(version: str) -> tuple[int, Version, str]:
    """PEP 440 order; strings that are not versions sort after every version, by text."""
    try:
        return (0, Version(version), "")
    except InvalidVersion:
        return (1, _ZERO, version)


_ZERO = Version("0")


def _source_key(source: Source) -> tuple[str, int]:
    return (source.path, source.line if source.line is not None else 0)


def sorted_versions(versions: Iterable[str]) -> tuple[str, ...]:
    """Versions in PEP 440 order, duplicates dropped."""
    return tuple(sorted(set(versions), key=version_key))


def upgrade_target(current: str, fixed_in: Iterable[str]) -> str | None:
    """The lowest fixed version above `current` (the smallest upgrade that fixes it), if any."""
    now = version_key(current)
    return min((v for v in fixed_in if version_key(v) > now), key=version_key, default=None)


# The two keys of every report's longest lists: `_source_key` inlined (a call per entry).
def sorted_dependencies(deps: Iterable[Dependency]) -> list[Dependency]:
    return sorted(
        deps, key=lambda d: (d.name, version_key(d.version), d.source.path, d.source.line or 0)
    )


def sorted_vulnerabilities(vulns: Iterable[Vulnerability]) -> list[Vulnerability]:
    return sorted(
        vulns,
        key=lambda v: (v.package, version_key(v.version), v.id, v.source.path, v.source.line or 0),
    )


def sorted_outdated(items: Iterable[Outdated]) -> list[Outdated]:
    return sorted(items, key=lambda o: (o.package, version_key(o.current), _source_key(o.source)))


def sorted_violations(items: Iterable[Violation]) -> list[Violation]:
    return sorted(items, key=lambda v: (v.package, v.finding, v.rule, v.due))


def sorted_skipped(items: Iterable[Skipped]) -> list[Skipped]:
    return sorted(items, key=lambda s: (s.requirement, _source_key(s.source), s.reason))
