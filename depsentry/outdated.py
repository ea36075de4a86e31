"""Outdated dependencies from index releases: the latest installable stable release, the update
type, release dates and libyears (libyear.com; CHAOSS "Libyears"; Renovate `libyear.ts`).

`update_type` is positional, as Renovate's `getUpdateType` and Dependabot's `semver-*` are:
the first of major/minor/micro that differs (an epoch change is major; a post release or a 4th
segment is "other"). So 0.4 -> 0.5 is "minor" here, as in those tools, although SemVer §4 makes
any 0.x change potentially breaking: `is_breaking()` answers that question separately.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.index.client import IndexFailure
from depsentry.models import Dependency, Outdated, SkipKind, Skipped, UpdateType
from depsentry.models.releases import ProjectReleases, Release

__all__ = ["OutdatedResult", "find_outdated", "is_breaking", "resolve_unpinned", "update_type"]

logger = logging.getLogger(__name__)

_YEAR = timedelta(days=365.25)
# Python versions a `requires-python` range is tested against to find its floor.
_PYTHONS = [Version("2.7"), *(Version(f"3.{minor}") for minor in range(0, 41))]


@dataclass(frozen=True, slots=True)
class OutdatedResult:
    """Findings for one project: outdated dependencies, lookups that failed, total libyears."""

    outdated: list[Outdated]
    unavailable: list[Skipped]
    project_libyears: float


def find_outdated(
    dependencies: Sequence[Dependency],
    releases: Mapping[str, ProjectReleases | IndexFailure],
    *,
    python: str | None = None,
    now: datetime | None = None,
    min_release_age: timedelta = timedelta(0),
) -> OutdatedResult:
    """Compare each dependency with the newest release a fresh install could pick.

    The latest release is the highest version that is not yanked, not a pre-release (unless the
    current version is one), admits `python` (a version like "3.11", or a project's
    `requires-python`, whose lowest version is used) and is older than `min_release_age`
    (releases without an upload time then do not qualify). Libyears per dependency are
    max(0, latest release date - current release date) in years of 365.25 days, 0 when a date
    is unknown; the project total counts each (name, version) once.
    """
    now = now or datetime.now(UTC)
    python_version = _python_floor(python)
    outdated: list[Outdated] = []
    unavailable: list[Skipped] = []
    libyears: dict[tuple[str, str], float] = {}
    for dep in dependencies:
        answer = releases.get(canonicalize_name(dep.name))
        if not isinstance(answer, ProjectReleases):
            unavailable.append(_skipped(dep, answer))
            continue
        try:
            current = Version(dep.version)
        except InvalidVersion:
            unavailable.append(_skipped(dep, None, f"version {dep.version!r} is not PEP 440"))
            continue
        latest = _newest_installable(
            answer.releases,
            above=current,
            python=python_version,
            prereleases=current.is_prerelease,
            released_before=now - min_release_age if min_release_age else None,
        )
        if latest is None:
            continue
        latest_version, latest_release = latest
        current_release = _find(answer.releases, current)
        current_released = current_release.upload_time if current_release else None
        latest_released = latest_release.upload_time
        years = 0.0
        if current_released is not None and latest_released is not None:
            years = max(0.0, (latest_released - current_released) / _YEAR)
        libyears[(dep.name, str(current))] = years
        outdated.append(
            Outdated(
                package=dep.name,
                current=dep.version,
                latest=str(latest_version),
                update_type=update_type(current, latest_version),
                current_released=current_released,
                latest_released=latest_released,
                libyears=round(years, 4),
                source=dep.source,
                pinned=dep.pinned,
            )
        )
    return OutdatedResult(outdated, unavailable, round(sum(libyears.values()), 4))


def resolve_unpinned(
    skipped: Sequence[Skipped],
    releases: Mapping[str, ProjectReleases | IndexFailure],
    *,
    python: str | None = None,
) -> tuple[list[Dependency], list[Skipped]]:
    """Turn UNPINNED skips into the version a fresh install would get today.

    Picks the newest non-yanked release the specifier allows (pre-releases only when the
    specifier names one, or nothing else matches, as pip does) that admits `python`. Returns
    `Dependency(pinned=False)` for those; everything else (other kinds, and what cannot be
    resolved, now with the reason) comes back in the second list.
    """
    resolved: list[Dependency] = []
    left: list[Skipped] = []
    python_version = _python_floor(python)
    for skip in skipped:
        if skip.kind is not SkipKind.UNPINNED or not skip.name:
            left.append(skip)
            continue
        answer = releases.get(canonicalize_name(skip.name))
        if not isinstance(answer, ProjectReleases):
            left.append(_skipped_again(skip, answer))
            continue
        try:
            spec = SpecifierSet(skip.specifier or "")
        except InvalidSpecifier:
            left.append(dataclasses.replace(skip, reason=f"invalid specifier {skip.specifier!r}"))
            continue
        by_version = dict(_installable(answer.releases, python=python_version, prereleases=True))
        chosen = max(spec.filter(by_version), default=None)
        if chosen is None:
            where = f" for Python {python_version}" if python_version else ""
            reason = f"no release on the index matches {skip.specifier or '(any)'}{where}"
            left.append(dataclasses.replace(skip, reason=reason))
            continue
        resolved.append(
            Dependency(
                name=canonicalize_name(skip.name),
                version=str(chosen),
                direct=skip.direct,
                source=skip.source,
                markers=skip.markers,
                pinned=False,
                specifier=skip.specifier,
                groups=skip.groups,
            )
        )
    return resolved, left


def update_type(current: Version, latest: Version) -> UpdateType:
    """Which part of the version moved: major, minor, patch (micro), else other."""
    if current.epoch != latest.epoch or current.major != latest.major:
        return "major"
    if current.minor != latest.minor:
        return "minor"
    if current.micro != latest.micro:
        return "patch"
    return "other"


def is_breaking(current: Version, latest: Version) -> bool:
    """SemVer-style breaking: a major change, or below 1.0 a minor change (0.4 -> 0.5)."""
    kind = update_type(current, latest)
    return kind == "major" or (kind == "minor" and current.major == 0)


def _newest_installable(
    releases: Iterable[Release],
    *,
    above: Version,
    python: Version | None,
    prereleases: bool,
    released_before: datetime | None,
) -> tuple[Version, Release] | None:
    # Newest first, so the checks usually run on one release, not on the whole history.
    newer = [(v, r) for r in releases if (v := _version(r.version)) is not None and v > above]
    newer.sort(key=lambda pair: pair[0], reverse=True)
    for version, release in newer:
        if _is_installable(version, release, python, prereleases, released_before):
            return version, release
    return None


def _installable(
    releases: Iterable[Release], *, python: Version | None, prereleases: bool
) -> list[tuple[Version, Release]]:
    found = []
    for release in releases:
        version = _version(release.version)
        if version is not None and _is_installable(version, release, python, prereleases, None):
            found.append((version, release))
    return found


def _is_installable(
    version: Version,
    release: Release,
    python: Version | None,
    prereleases: bool,
    released_before: datetime | None,
) -> bool:
    if release.yanked or (version.is_prerelease and not prereleases):
        return False
    if python is not None and not _admits(release, python):
        return False
    return released_before is None or (
        release.upload_time is not None and release.upload_time <= released_before
    )


@functools.lru_cache(maxsize=100_000)
def _version(text: str) -> Version | None:
    # Index answers are parsed once per scan but compared once per pin: cache the parse.
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _admits(release: Release, python: Version) -> bool:
    """Whether some non-yanked file (or the release, when files are unknown) supports `python`."""
    wanted = [f.requires_python for f in release.files if not f.yanked] or [release.requires_python]
    return any(_spec_admits(spec, python) for spec in wanted)


@functools.lru_cache(maxsize=4096)
def _spec_admits(requires_python: str | None, python: Version) -> bool:
    if not requires_python:
        return True
    try:
        return SpecifierSet(requires_python).contains(python, prereleases=True)
    except InvalidSpecifier:
        return True  # pip ignores an invalid requires-python too


def _python_floor(python: str | None) -> Version | None:
    """'3.11' -> 3.11; a range like '>=3.9,<4' -> its lowest minor version (3.9)."""
    if not python:
        return None
    try:
        return Version(python)
    except InvalidVersion:
        pass
    try:
        spec = SpecifierSet(python)
    except InvalidSpecifier:
        logger.warning("ignoring invalid Python version or range %r", python)
        return None
    return next((v for v in _PYTHONS if spec.contains(v, prereleases=True)), None)


def _find(releases: Iterable[Release], version: Version) -> Release | None:
    return next((r for r in releases if _version(r.version) == version), None)


def _skipped(dep: Dependency, answer: IndexFailure | None, reason: str | None = None) -> Skipped:
    kind = (
        SkipKind.NOT_FOUND if answer is not None and answer.kind == "not-found" else SkipKind.OTHER
    )
    if reason is None:
        reason = answer.reason if answer is not None else "not looked up on the package index"
    return Skipped(
        requirement=f"{dep.name}=={dep.version}",
        reason=reason,
        source=dep.source,
        kind=kind,
        name=dep.name,
        specifier=f"=={dep.version}",
        direct=dep.direct,
        markers=dep.markers,
    )


def _skipped_again(skip: Skipped, answer: IndexFailure | None) -> Skipped:
    if answer is None:
        return dataclasses.replace(skip, reason="not looked up on the package index")
    kind = SkipKind.NOT_FOUND if answer.kind == "not-found" else skip.kind
    return dataclasses.replace(skip, reason=answer.reason, kind=kind)
