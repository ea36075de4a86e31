"""`depsentry fix`: plan pin bumps from a scan's findings, then write them back (or diff them).

Planning follows pip-audit's `--fix`: jump to the highest of the lowest fixes, re-check that
version against the same advisories, and repeat until it is clean or no fix is left. Lockfiles
are never edited: their own tool must re-lock, and we say which command to run.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from depsentry.advisories.interface import AdvisorySource
from depsentry.errors import InputError, reading
from depsentry.inputs.pin_writer import BumpResult, bump_pyproject, bump_requirements
from depsentry.models import Dependency, ProjectReport, Source

__all__ = ["FixOutcome", "PlannedBump", "apply_bumps", "plan_fixes"]

# The command that re-locks one package, per lockfile name.
RELOCK = {
    "poetry.lock": "poetry update {name}",
    "uv.lock": "uv lock --upgrade-package '{name}=={version}'",
    "Pipfile.lock": "pipenv upgrade '{name}=={version}'",
    "pdm.lock": "pdm update {name}",
    "pylock.toml": "regenerate it with the tool that wrote it (for example `pip lock` or `uv export --format pylock.toml`)",
}

_MAX_ROUNDS = 10


@dataclass(frozen=True)
class PlannedBump:
    """One pin to move from `current` to `target`, and why."""

    package: str
    current: str
    target: str
    source: Source
    fixes: tuple[str, ...] = ()
    unfixed: tuple[str, ...] = ()
    codemods: tuple[str, ...] = ()
    pinned: bool = True  # False: `current` was resolved from a range; there is no pin to edit


@dataclass
class FixOutcome:
    """What applying (or previewing) the bumps did."""

    diff: str = ""
    changed_files: list[str] = field(default_factory=list)
    relock: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def plan_fixes(
    report: ProjectReport,
    source: AdvisorySource,
    *,
    latest: Mapping[str, str] | None = None,
    codemod_hints: Callable[[str, str, str], tuple[str, ...]] | None = None,
) -> list[PlannedBump]:
    """Bumps for every vulnerable pin of `report` (and, with `latest`, every outdated one)."""
    by_dep: dict[tuple[str, str, Source], list[str]] = {}
    for vuln in report.vulnerabilities:
        by_dep.setdefault((vuln.package, vuln.version, vuln.source), []).append(vuln.id)
    if latest:
        for dep in report.dependencies:
            if dep.name in latest and latest[dep.name] != dep.version:
                by_dep.setdefault((dep.name, dep.version, dep.source), [])
    unpinned = {(dep.name, dep.version) for dep in report.dependencies if not dep.pinned}
    plans = []
    for (name, current, where), ids in sorted(by_dep.items(), key=lambda item: str(item[0])):
        target, unfixed = _lowest_clean(name, current, where, source)
        wanted = latest.get(name) if latest else None
        if wanted is not None and (_version(wanted) or Version("0")) > (
            _version(target) or Version("0")
        ):
            target, unfixed = wanted, tuple(_ids_at(name, wanted, where, source))
        if target == current:
            continue
        hints = codemod_hints(name, current, target) if codemod_hints else ()
        pinned = (name, current) not in unpinned
        plans.append(PlannedBump(name, current, target, where, tuple(ids), unfixed, hints, pinned))
    return plans


def _ids_at(name: str, version: str, where: Source, source: AdvisorySource) -> list[str]:
    probe = Dependency(name=name, version=version, direct=True, source=where)
    return [vuln.id for vuln in source.match([probe])]


def _lowest_clean(
    name: str, current: str, where: Source, source: AdvisorySource
) -> tuple[str, tuple[str, ...]]:
    """The lowest version that every known fix reaches, re-checked; plus what stays unfixed."""
    version = current
    for _ in range(_MAX_ROUNDS):
        probe = Dependency(name=name, version=version, direct=True, source=where)
        vulns = source.match([probe])
        fixable = [v for v in vulns if v.fixed_in]
        unfixed = tuple(v.id for v in vulns if not v.fixed_in)
        if not fixable:
            return version, unfixed
        candidates = [_version(min(v.fixed_in, key=_sort_key)) for v in fixable]
        highest = max((c for c in candidates if c is not None), default=None)
        if highest is None or str(highest) == version:
            return version, unfixed
        version = str(highest)
    return version, unfixed


def _sort_key(text: str) -> Version:
    return _version(text) or Version("0")


def apply_bumps(
    bumps: Sequence[PlannedBump],
    *,
    root: Path,
    write: bool,
    hashes: Mapping[tuple[str, str], Sequence[str]] | None = None,
    inputs: Sequence[str] = (),
) -> FixOutcome:
    """Edit requirements files and pyproject.toml; name the re-lock command for lockfiles.

    A scan keeps one source per pin, so the same `name==version` repeated in other `inputs`
    (paths relative to `root`, e.g. a report's `inputs`) is bumped there too.
    With `write=False` only the unified diff is produced. Writes are all-or-nothing: every
    new text is computed first, then files are replaced one by one and restored on failure.
    """
    outcome = FixOutcome()
    texts: dict[Path, str] = {}
    originals: dict[Path, str] = {}
    for bump in bumps:
        path = Path(bump.source.path)
        if not path.is_absolute():
            path = root / path
        kind = _kind(path)
        if kind == "lock":
            template = RELOCK.get(path.name, RELOCK["pylock.toml"])
            command = template.format(name=bump.package, version=bump.target)
            outcome.relock.append(
                f"{bump.source.path}: {bump.package} {bump.current} -> {bump.target}: {command}"
            )
            continue
        if kind == "other":
            outcome.warnings.append(
                f"{bump.source}: cannot edit this input; upgrade {bump.package} to {bump.target} by hand"
            )
            continue
        if not bump.pinned:
            outcome.warnings.append(
                f"{bump.source}: {bump.package} is not pinned (a fresh install gets "
                f"{bump.current}); change its requirement to allow {bump.target}"
            )
            continue
        wanted = (hashes or {}).get((bump.package, bump.target))
        try:
            result = _bump(path, kind, bump, bump.source.line, wanted, texts, originals)
        except InputError as exc:  # one pin we cannot find must not stop the other bumps
            outcome.warnings.append(f"{exc}; upgrade {bump.package} to {bump.target} by hand")
            continue
        texts[path] = result.text
        outcome.warnings.extend(result.warnings)
        for other in (root / name for name in inputs):
            other_kind = _kind(other)
            if other == path or other_kind not in ("pyproject", "requirements"):
                continue
            try:
                result = _bump(other, other_kind, bump, None, wanted, texts, originals)
            except InputError:
                continue  # this input does not pin it
            texts[other] = result.text
            outcome.warnings.extend(result.warnings)
    for path, text in texts.items():
        if text == originals[path]:
            continue
        outcome.changed_files.append(str(path))
        outcome.diff += "".join(
            difflib.unified_diff(
                originals[path].splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{path.relative_to(root) if path.is_relative_to(root) else path}",
                f"b/{path.relative_to(root) if path.is_relative_to(root) else path}",
            )
        )
    if write:
        _write_all(
            {path: texts[path] for path in texts if texts[path] != originals[path]}, originals
        )
    return outcome


def _bump(
    path: Path,
    kind: str,
    bump: PlannedBump,
    line: int | None,
    hashes: Sequence[str] | None,
    texts: dict[Path, str],
    originals: dict[Path, str],
) -> BumpResult:
    """Bump one pin in `path`'s current text (earlier bumps included); InputError if absent."""
    if path not in originals:
        with reading(path):
            originals[path] = path.read_text(encoding="utf-8")
    text = texts.get(path, originals[path])
    if kind == "pyproject":
        return bump_pyproject(path, bump.package, bump.current, bump.target, text=text)
    return bump_requirements(
        path, bump.package, bump.current, bump.target, line=line, hashes=hashes, text=text
    )


def _kind(path: Path) -> str:
    """Which writer edits `path`: the input registry already knows which files are lockfiles."""
    from depsentry.inputs import reader_for
    from depsentry.inputs.requirements import RequirementsReader

    reader = reader_for(path)
    if reader is not None and reader.is_lockfile:
        return "lock"
    if path.name == "pyproject.toml":
        return "pyproject"
    if isinstance(reader, RequirementsReader) or path.suffix in (".txt", ".in"):
        return "requirements"  # also a requirements file named on the command line
    return "other"


def _write_all(texts: Mapping[Path, str], originals: Mapping[Path, str]) -> None:
    written: list[Path] = []
    try:
        for path, text in texts.items():
            _atomic_write(path, text)
            written.append(path)
    except BaseException:
        for path in written:
            _atomic_write(path, originals[path])
        raise


def _atomic_write(path: Path, text: str) -> None:
    mode = path.stat().st_mode
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
