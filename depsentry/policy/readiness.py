"""Python readiness: does a project's latest release support the target Python ("3.14")?

Not ready when its Requires-Python excludes the target, or when it ships wheels and none of
them fits the target's ABI (cp314, abi3 from an older CPython, or pure Python). A release
with only an sdist is taken as ready by the policy: it may build, and we cannot tell without
building. The readiness report (`assess`) says so instead: "builds from source only".
A target ending in "t" ("3.14t") is the free-threaded build: cp314t, abi3t or pure Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from packaging import tags
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from depsentry.models import Source
from depsentry.models.readiness import ReadinessRow, Verdict
from depsentry.models.releases import ProjectReleases, Release
from depsentry.policy.releases import available, update_type

__all__ = ["assess", "compatible_wheel", "readiness_problem"]


@cache
def _pairs(python: str) -> frozenset[tuple[str, str]]:
    """(interpreter, abi) pairs a CPython `python` accepts on any platform, from packaging.tags
    ("3.14t": the free-threaded build, whose ABI is cp314t and abi3t)."""
    threaded = python.endswith("t")
    major, minor = (int(p) for p in python.removesuffix("t").split("."))
    cp = f"cp{major}{minor}"
    abi = f"{cp}t" if threaded else cp
    found = tags.cpython_tags(python_version=(major, minor), abis=[abi], platforms=["any"])
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


def assess(
    name: str,
    version: str,
    project: ProjectReleases | None,
    python: str,
    *,
    source: Source,
    pinned: bool = True,
    failure: str | None = None,
) -> ReadinessRow:
    """One row of the readiness report: `name` pinned at `version` against `python` ("3.14").

    `project` is what the index lists (None, with `failure` saying why, when it could not
    answer). Ready: the pinned release has a fitting wheel. Upgrade: a later stable release
    does (the lowest one is proposed). Builds from source only: no fitting wheel anywhere, but
    the pin (or a later release) has an sdist its Requires-Python allows. Blocked otherwise.
    """

    def unknown(why: str) -> ReadinessRow:
        return ReadinessRow(name, version, source, "unknown", why, None, pinned=pinned)

    if project is None:
        return unknown(failure or "not on the index")
    try:
        current = Version(version)
    except InvalidVersion:
        return unknown("not a PEP 440 version")
    stable = _stable(project)
    own = next((r for v, r in _parsed(project) if v == current), None)
    if own is None:
        level, how = "no", "not on the index"
    else:
        level, how = _support(own, python)
    fitting = [v for v, r in stable if _support(r, python)[0] == "wheel"]
    building = [v for v, r in stable if v > current and _support(r, python)[0] == "source"]
    verdict: Verdict
    target: str | None = None
    if level == "wheel":
        verdict, target = "ready", version
    elif later := [v for v in fitting if v > current]:
        verdict, target = "upgrade", str(later[0])
    elif level == "source":
        verdict, target = "source-only", version
    elif building:
        verdict, target = "source-only", str(building[0])
    elif level == "unknown":
        verdict = "unknown"
    else:
        verdict = "blocked"
    release = own if target == version else next((r for v, r in stable if str(v) == target), None)
    threaded = python.removesuffix("t") + "t"
    return ReadinessRow(
        name,
        version,
        source,
        verdict,
        how,
        None if level == "unknown" else level == "wheel",
        lowest=str(fitting[0]) if fitting else None,
        target=target,
        step=update_type(version, target) if target is not None and target != version else None,
        free_threaded=None if release is None else _support(release, threaded)[0] == "wheel",
        pinned=pinned,
    )


def _parsed(project: ProjectReleases) -> list[tuple[Version, Release]]:
    out = []
    for release in project.releases:
        try:
            out.append((Version(release.version), release))
        except InvalidVersion:
            continue
    return sorted(out, key=lambda pair: pair[0])


def _stable(project: ProjectReleases) -> list[tuple[Version, Release]]:
    return [
        (v, r) for v, r in _parsed(project) if not (r.yanked or v.is_prerelease or v.is_devrelease)
    ]


def _support(release: Release, python: str) -> tuple[str, str]:
    """("wheel" | "source" | "no" | "unknown", how) for one release on `python`."""
    target = python.removesuffix("t")
    spec = _requires_python(release)
    if spec is not None and not spec.contains(Version(target), prereleases=True):
        return "no", f"requires Python {spec}"
    files = [f.filename for f in release.files if not f.yanked]
    wheels = [name for name in files if name.endswith(".whl")]
    for name in wheels:
        if compatible_wheel(name, python):
            return "wheel", _kind(name)
    has_sdist = any(name.endswith((".tar.gz", ".zip", ".tar.bz2")) for name in files)
    if has_sdist:
        return "source", "sdist only" if not wheels else f"no {python} wheel; sdist only"
    if wheels:
        return "no", f"no {python} wheel"
    return "unknown", "no files listed"


def _kind(filename: str) -> str:
    """How a fitting wheel fits: "cp314 wheel", "cp314t wheel", "abi3 wheel", "pure-Python wheel"."""
    _, _, _, wheel_tags = parse_wheel_filename(filename)
    abis = {t.abi for t in wheel_tags}
    if abis & {"abi3", "abi3t"}:
        return f"{sorted(abis & {'abi3', 'abi3t'})[0]} wheel"
    if abis == {"none"}:
        return "pure-Python wheel"
    return f"{sorted(abis - {'none'})[0]} wheel"
