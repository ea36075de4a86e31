"""Which releases of a project count as available under the cool-down (minimum release age)."""

from __future__ import annotations

from datetime import datetime, timedelta

from packaging.version import InvalidVersion, Version

from depsentry.models import UpdateType
from depsentry.models.releases import ProjectReleases, Release

__all__ = ["available", "update_type"]


def available(
    project: ProjectReleases, *, now: datetime, min_age: timedelta
) -> list[tuple[Version, Release]]:
    """Stable, not yanked releases at least `min_age` old, oldest version first.

    A release with no upload time counts only when there is no cool-down (Renovate's
    `minimumReleaseAgeBehaviour = timestamp-required`).
    """
    out = []
    for release in project.releases:
        try:
            version = Version(release.version)
        except InvalidVersion:
            continue
        if release.yanked or version.is_prerelease or version.is_devrelease:
            continue
        if min_age and (release.upload_time is None or now - release.upload_time < min_age):
            continue
        out.append((version, release))
    out.sort(key=lambda pair: pair[0])
    return out


def update_type(current: str, target: str) -> UpdateType:
    """major / minor / patch by the first release segment that differs; "other" otherwise."""
    try:
        a, b = Version(current).release, Version(target).release
    except InvalidVersion:
        return "other"
    a, b = (a + (0, 0, 0))[:3], (b + (0, 0, 0))[:3]
    if a[0] != b[0]:
        return "major"
    if a[1] != b[1]:
        return "minor"
    if a[2] != b[2]:
        return "patch"
    return "other"
