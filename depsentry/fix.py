"""`depsentry fix`: plan pin bumps from a scan's findings, check that they install, then write
them back (or diff them).

Planning follows pip-audit's `--fix`: jump to the highest of the lowest fixes, re-check that
version against every advisory source, and repeat until it is clean or no fix is left. The plan
is then resolved by uv (`fix_verify.py`): blocking pins are raised, impossible bumps reported.
Lockfiles are never edited: their own tool must re-lock, and we say which command to run.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from depsentry.advisories.interface import AdvisorySource
from depsentry.errors import DepsentryError, InputError
from depsentry.inplace import Snapshot, preflight, read_snapshot, replace
from depsentry.inputs.pin_writer import BumpResult, bump_pyproject, bump_requirements
from depsentry.models import Dependency, ProjectReport, Source, Vulnerability

if TYPE_CHECKING:
    from depsentry.resolver import Uv

__all__ = ["CheckedPlan", "FixOutcome", "PlannedBump", "apply_bumps", "check_plan", "plan_fixes"]

logger = logging.getLogger(__name__)

Sources = AdvisorySource | Sequence[AdvisorySource]
CodemodHints = Callable[[str, str, str], tuple[str, ...]]

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
    raised: str = ""  # why the resolver moved this pin beyond the plan (uv's chain)
    planned: str | None = None  # the target before the resolver raised it


@dataclass
class FixOutcome:
    """What applying (or previewing) the bumps did; `texts` are the new contents planned."""

    diff: str = ""
    changed_files: list[str] = field(default_factory=list)
    relock: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    texts: dict[Path, str] = field(default_factory=dict)
    snapshots: dict[Path, Snapshot] = field(default_factory=dict)  # every file as first read


@dataclass
class CheckedPlan:
    """A plan after the resolver: bumps that install, and one line per bump that cannot."""

    bumps: list[PlannedBump]
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


class _AllSources:
    """Every configured advisory source as one: findings merged by alias, as the scan does."""

    def __init__(self, sources: Sources) -> None:
        self.sources = [sources] if isinstance(sources, AdvisorySource) else list(sources)

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        found = [source.match(dependencies) for source in self.sources]
        if len(found) == 1:
            return found[0]
        from depsentry.advisories.merge import merge_vulnerabilities

        return merge_vulnerabilities(found)


def plan_fixes(
    report: ProjectReport,
    sources: Sources,
    *,
    latest: Mapping[str, str] | None = None,
    codemod_hints: CodemodHints | None = None,
) -> list[PlannedBump]:
    """Bumps for every vulnerable pin of `report` (and, with `latest`, every outdated one).

    Every candidate version is re-checked against all `sources`, not only the first.
    """
    source = _AllSources(sources)
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


def _ids_at(name: str, version: str, where: Source, source: _AllSources) -> list[str]:
    probe = Dependency(name=name, version=version, direct=True, source=where)
    return [vuln.id for vuln in source.match([probe])]


def _lowest_clean(
    name: str, current: str, where: Source, source: _AllSources
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


def check_plan(
    report: ProjectReport,
    bumps: Sequence[PlannedBump],
    *,
    root: Path,
    uv: Uv,
    sources: Sources,
    texts: Mapping[Path, str] | None = None,
    codemod_hints: CodemodHints | None = None,
) -> CheckedPlan:
    """Resolve the plan with uv: raise blocking pins to their lowest safe compatible release, drop
    (and explain, in one line each) the bumps that cannot install. Raises ResolverError when uv
    cannot tell, so that an unchecked plan is never written."""
    from depsentry.fix_verify import verify_plan

    source = _AllSources(sources)

    def safe_floor(name: str, version: str) -> str:
        return _lowest_clean(name, version, Source(""), source)[0]

    targets = {(b.package, b.current): b.target for b in bumps if b.pinned}
    verdict = verify_plan(root, report.inputs, targets, uv=uv, safe_floor=safe_floor, texts=texts)
    checked = CheckedPlan(bumps=[], checked=list(verdict.checked))
    for bump in bumps:
        key = (bump.package, bump.current)
        if not bump.pinned:
            checked.bumps.append(bump)
        elif key in verdict.blocked:
            checked.conflicts.append(
                f"{bump.source}: {bump.package} {bump.current} -> {bump.target}: "
                f"security update not possible: {verdict.blocked[key]}"
            )
        elif verdict.targets.get(key, bump.target) != bump.target:
            target = verdict.targets[key]
            unfixed = tuple(_ids_at(bump.package, target, bump.source, source))
            hints = codemod_hints(bump.package, bump.current, target) if codemod_hints else ()
            checked.bumps.append(
                dataclasses.replace(
                    bump,
                    target=target,
                    unfixed=unfixed,
                    codemods=hints or bump.codemods,
                    raised=verdict.raised.get(key, ""),
                    planned=bump.target,
                )
            )
        else:
            checked.bumps.append(bump)
    known = {(b.package, b.current) for b in bumps}
    for key, target in sorted(verdict.targets.items()):
        if key in known:
            continue
        name, current = key
        hints = codemod_hints(name, current, target) if codemod_hints else ()
        checked.bumps.append(
            PlannedBump(
                name,
                current,
                target,
                verdict.sources.get(key, Source("")),
                unfixed=tuple(_ids_at(name, target, Source(""), source)),
                codemods=hints,
                raised=verdict.raised.get(key, ""),
            )
        )
    for lock, moves in verdict.moves.items():
        if moves:
            checked.notes.append(f"{lock}: the re-lock also moves {', '.join(moves)}")
    return checked


def apply_bumps(
    bumps: Sequence[PlannedBump],
    *,
    root: Path,
    write: bool,
    hashes: Mapping[tuple[str, str], Sequence[str]] | None = None,
    inputs: Sequence[str] = (),
    snapshots: Mapping[Path, Snapshot] | None = None,
) -> FixOutcome:
    """Edit requirements files and pyproject.toml; name the re-lock command for lockfiles.

    A scan keeps one source per pin, so the same `name==version` repeated in other `inputs`
    (paths relative to `root`, e.g. a report's `inputs`) is bumped there too.
    With `write=False` only the unified diff is produced. Writes are all-or-nothing: every
    new text is computed first, every file is checked (unchanged since read, writable), then files
    are replaced one by one (`inplace.py`) and restored on failure. `snapshots` from an earlier
    call (a preview before the plan was checked) are reused, so an edit made meanwhile is found.
    """
    outcome = FixOutcome()
    texts: dict[Path, str] = {}
    originals: dict[Path, Snapshot] = dict(snapshots or {})
    # Bottom-up within a file: a bump that grows a hash list must not move the lines of the next.
    for bump in sorted(bumps, key=lambda b: (b.source.path, -(b.source.line or 0))):
        path = Path(bump.source.path)
        if not path.is_absolute():
            path = root / path
        kind = _kind(path)
        if kind == "lock":
            template = RELOCK.get(path.name, RELOCK["pylock.toml"])
            command = template.format(name=bump.package, version=bump.target)
            # Said with the directory: in a tree of projects, each lock re-locks where it lives.
            outcome.relock.append(
                f"{bump.source.path}: {bump.package} {bump.current} -> {bump.target}: {command}"
                f" (in {path.parent})"
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
            result = _bump(path, kind, bump, bump.source.line, wanted, texts, originals, root)
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
                result = _bump(other, other_kind, bump, None, wanted, texts, originals, root)
            except InputError:
                continue  # this input does not pin it
            texts[other] = result.text
            outcome.warnings.extend(result.warnings)
    for path, text in texts.items():
        if text == originals[path].text:
            continue
        outcome.texts[path] = text
        outcome.changed_files.append(str(path))
        outcome.diff += "".join(
            difflib.unified_diff(
                originals[path].text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{path.relative_to(root) if path.is_relative_to(root) else path}",
                f"b/{path.relative_to(root) if path.is_relative_to(root) else path}",
            )
        )
    outcome.snapshots = originals
    if write:
        _write_all(outcome.texts, originals)
    return outcome


def _bump(
    path: Path,
    kind: str,
    bump: PlannedBump,
    line: int | None,
    hashes: Sequence[str] | None,
    texts: dict[Path, str],
    originals: dict[Path, Snapshot],
    root: Path,
) -> BumpResult:
    """Bump one pin in `path`'s current text (earlier bumps included); InputError if absent."""
    if path not in originals:
        originals[path] = read_snapshot(path, root)
    text = texts.get(path, originals[path].text)
    try:
        if kind == "pyproject":
            return bump_pyproject(path, bump.package, bump.current, bump.target, text=text)
        return bump_requirements(
            path, bump.package, bump.current, bump.target, line=line, hashes=hashes, text=text
        )
    except DepsentryError:
        raise
    except Exception as exc:  # a shape the writer does not expect (`tool = 5`): never a crash
        logger.debug("cannot edit %s", path, exc_info=True)
        raise InputError(f"cannot edit this file ({type(exc).__name__})", path) from exc


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


def _write_all(texts: Mapping[Path, str], originals: Mapping[Path, Snapshot]) -> None:
    """Check every file first (unchanged, writable), then replace them; undo on any failure."""
    for path in texts:
        preflight(originals[path])
    written: list[Path] = []
    try:
        for path, text in texts.items():
            snapshot = originals[path]
            try:
                replace(snapshot, snapshot.encode(text))
            except OSError as exc:
                raise InputError(
                    f"cannot write ({exc.strerror or exc}); nothing written", path
                ) from exc
            written.append(path)
    except BaseException:
        for path in written:
            replace(originals[path], originals[path].data, check=False)
        raise
