"""Which index each release came from, and when the answers of several indexes disagree in the
way dependency confusion looks: a name's newest release on an index that hosts none of the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

from depsentry.models.releases import ProjectReleases, Release

__all__ = ["confusion", "indexes_of", "pin_indexes", "restrict", "tag"]


def tag(project: ProjectReleases, index_url: str) -> ProjectReleases:
    """`project` with every release marked as listed by `index_url`."""
    releases = tuple(dataclasses.replace(r, indexes=(index_url,)) for r in project.releases)
    return dataclasses.replace(project, releases=releases)


def indexes_of(project: ProjectReleases) -> tuple[str, ...]:
    """Every index that lists some release of `project`, in the order they were asked."""
    return tuple(dict.fromkeys(url for release in project.releases for url in release.indexes))


def pin_indexes(project: ProjectReleases, version: str) -> tuple[str, ...]:
    """The indexes that list `version` (PEP 440 equal): where a pin on it came from."""
    wanted = _version(version)
    return tuple(
        dict.fromkeys(
            url
            for release in project.releases
            if wanted is not None and _version(release.version) == wanted
            for url in release.indexes
        )
    )


def restrict(project: ProjectReleases, indexes: Iterable[str]) -> ProjectReleases:
    """Only the releases that one of `indexes` lists."""
    allowed = set(indexes)
    kept = tuple(r for r in project.releases if allowed.intersection(r.indexes))
    return dataclasses.replace(project, releases=kept)


def confusion(project: ProjectReleases) -> str | None:
    """A warning when `project` is on several indexes and its newest release is missing from
    one of them (a squatted public upload looks like this; so does a mirror that lags)."""
    hosts = indexes_of(project)
    if len(hosts) < 2:
        return None
    newest = _newest(project.releases)
    if newest is None or set(newest.indexes) == set(hosts):
        return None
    others = [h for h in hosts if h not in newest.indexes]
    return (
        f"{project.name} is on {len(hosts)} indexes and its newest release {newest.version} is "
        f"only on {', '.join(newest.indexes)}, not on {', '.join(others)}: possible dependency "
        "confusion (someone else's upload under a private name); check it before upgrading"
    )


def _newest(releases: Iterable[Release]) -> Release | None:
    candidates = [(v, r) for r in releases if not r.yanked and (v := _version(r.version))]
    stable = [(v, r) for v, r in candidates if not v.is_prerelease] or candidates
    return max(stable, key=lambda pair: pair[0])[1] if stable else None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None
