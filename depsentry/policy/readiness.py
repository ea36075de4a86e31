"""Python readiness: does a project's latest release support the target Python ("3.14")?

Not ready when its Requires-Python excludes the target, or when it ships wheels and none of
them fits the target's ABI (cp314, abi3 from an older CPython, or pure Python). A release
with only an sdist is taken as ready: it may build, and we cannot tell without building.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from packaging import tags
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from depsentry.models import ProjectReleases, Release
from depsentry.policy.releases import available

__all__ = ["compatible_wheel", "readiness_problem"]


@cache
def _pairs(python: str) -> frozenset[tuple[str, str]]:
    """(interpreter, abi) pairs a CPython `python` accepts on any platform, from packaging.tags."""
    major, minor = (int(p) for p in python.split("."))
    cp = f"cp{major}{minor}"
    found = tags.cpython_tags(python_version=(major, minor), abis=[cp], platforms=["any"])
    pure = tags.compatible_tags(python_version=(major, minor), interpreter=cp, platforms=["any"])
    return frozenset((t.interpreter, t.abi) for t in (*found, *pure))


def compatible_wheel(filename: str, python: str) -> bool:
    """True when wheel `filename` installs on CPython `python` (some platform of it)."""
    try:
        _, _, _, wheel_tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    pairs = _pairs(python)
    return any((t.interpreter, t.abi) in pairs for t in wheel_tags)


def readiness_problem(
    project: ProjectReleases, python: str, *, now: datetime, min_age: timedelta = timedelta(0)
) -> str | None:
    """A one-line reason the latest available release is not ready for `python`, or None."""
    releases = available(project, now=now, min_age=min_age)
    if not releases:
        return None
    version, release = releases[-1]
    spec = _requires_python(release)
    if spec is not None and not spec.contains(Version(python), prereleases=True):
        return f"{project.name} {version} requires Python {spec} (excludes {python})"
    wheels = [f.filename for f in release.files if f.filename.endswith(".whl") and not f.yanked]
    if wheels and not any(compatible_wheel(w, python) for w in wheels):
        return f"{project.name} has no {python} wheel yet (latest {version})"
    return None


def _requires_python(release: Release) -> SpecifierSet | None:
    texts = [release.requires_python, *(f.requires_python for f in release.files)]
    for text in texts:
        if text:
            try:
                return SpecifierSet(text)
            except InvalidSpecifier:
                continue  # a broken Requires-Python on the index says nothing either way
    return None
