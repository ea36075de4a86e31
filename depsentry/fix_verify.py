"""Check a fix plan with a real resolver (uv) before anything is written.

Each install set of a project (a top-level requirements file with its includes, a pyproject.toml,
a lockfile) is resolved with the plan's pins. When it does not resolve, every exact pin becomes a
floor and uv picks the lowest releases that fit (each re-checked against the advisories); a bump
that fits nowhere is dropped and its conflict reported with uv's chain, as Dependabot's "security
update not possible" does. A uv project is checked by `uv lock --dry-run --upgrade-package ...`
in a copy of its manifests, as its re-lock command will run; what else the re-lock moves is said.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depsentry.errors import InputError
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.resolver import Conflict, LockChanges, Resolved, Uv

__all__ = ["InstallSet", "Key", "Pin", "Verdict", "install_sets", "verify_plan"]

logger = logging.getLogger(__name__)

Key = tuple[str, str]
"""(package, current version): one pin, as the plan and every input name it."""

SafeFloor = Callable[[str, str], str]
"""safe_floor(package, version): the lowest release >= version that no fixable advisory affects."""

_MAX_ROUNDS = 12  # relax / drop rounds per install set; each is one uv run
_MAX_PASSES = 3  # a raise in one set can change another set's pins
_MANIFESTS = frozenset({"pyproject.toml", "uv.toml", "uv.lock", ".python-version"})
_PRUNED = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox"})
_MAX_MANIFESTS = 500


@dataclass(frozen=True)
class Pin:
    """One requirement of an install set: an exact pin (`version`) or a range (`specifier`)."""

    name: str
    version: str | None
    specifier: str = ""
    markers: str | None = None
    extras: tuple[str, ...] = ()
    source: Source = field(default_factory=lambda: Source(""))

    @property
    def key(self) -> Key | None:
        return (self.name, self.version) if self.version is not None else None

    def line(self, version: str | None = None, *, floor: str | None = None) -> str:
        """The requirement line: `==version`, or `>=floor` when relaxed, or the range."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        if floor is not None:
            spec = f">={floor}"
        elif self.version is not None:
            spec = f"=={version or self.version}"
        else:
            spec = self.specifier
        marker = f" ; {self.markers}" if self.markers else ""
        return f"{self.name}{extras}{spec}{marker}"


@dataclass(frozen=True)
class InstallSet:
    """What one input installs together: `head` (relative to the root) and its requirements."""

    head: str
    pins: tuple[Pin, ...]
    unchecked: int = 0  # URL, path and editable requirements uv is not asked about


@dataclass
class Verdict:
    """The checked plan: final targets, pins raised beyond the plan, bumps that cannot be made."""

    targets: dict[Key, str]
    raised: dict[Key, str] = field(default_factory=dict)  # why: uv's chain for the plan as made
    sources: dict[Key, Source] = field(default_factory=dict)  # where each raised pin lives
    blocked: dict[Key, str] = field(default_factory=dict)  # uv's chain
    moves: dict[str, list[str]] = field(default_factory=dict)  # re-lock side effects, per lock
    checked: list[str] = field(default_factory=list)


def verify_plan(
    root: Path,
    inputs: Sequence[str],
    targets: Mapping[Key, str],
    *,
    uv: Uv,
    safe_floor: SafeFloor,
    texts: Mapping[Path, str] | None = None,
) -> Verdict:
    """Resolve every install set the plan touches; raise, drop and report until all resolve.

    `texts` are the planned new contents of edited files (for the uv project copy). Raises
    ResolverError when uv cannot tell (missing, offline without a cache, a package it cannot
    see): the caller must not write an unchecked plan.
    """
    verdict = Verdict(targets=dict(targets))
    sets = install_sets(root, inputs)
    uv_project = "uv.lock" in inputs and (root / "pyproject.toml").is_file()
    with tempfile.TemporaryDirectory(prefix="depsentry-verify-") as work:
        for _ in range(_MAX_PASSES):
            before = (dict(verdict.targets), set(verdict.blocked))
            for install in sets:
                _check_set(install, verdict, uv, safe_floor, Path(work))
            if (verdict.targets, set(verdict.blocked)) == before:
                break
        if uv_project:
            _check_uv_project(root, texts or {}, verdict, uv, safe_floor, Path(work))
    return verdict


def install_sets(root: Path, inputs: Sequence[str]) -> list[InstallSet]:
    """One set per top-level requirements file (with its -r/-c files), per pyproject.toml, per
    lockfile other than uv.lock (checked by `uv lock` instead), per Pipfile."""
    from depsentry.inputs import reader_for
    from depsentry.inputs.requirements import RequirementsReader, read_tree

    sets: list[InstallSet] = []
    trees = {}
    for rel in inputs:
        if isinstance(reader_for(root / rel), RequirementsReader):
            try:
                trees[rel] = read_tree(root / rel, root=root)  # includes may reach up, not out
            except InputError:
                continue  # the scan has already said what is wrong with it
    included = {
        os.path.realpath(f)
        for tree in trees.values()
        for f in (*tree.files[1:], *tree.constraint_files)
    }
    for rel, tree in trees.items():
        if os.path.realpath(root / rel) not in included:
            sets.append(_make_set(rel, tree.items, root))
    for rel in inputs:
        path = root / rel
        reader = reader_for(path)
        if reader is None or isinstance(reader, RequirementsReader) or path.name == "uv.lock":
            continue
        try:
            items = list(reader.read(path))
        except InputError:
            continue
        sets.append(_make_set(rel, items, root))
    return sets


def _make_set(head: str, items: Iterable[Dependency | Skipped], root: Path) -> InstallSet:
    exact: dict[str, list[Dependency]] = {}  # by PEP 503 name
    ranges: list[Pin] = []
    unchecked = 0
    for item in items:
        where = _relative(item.source, root)
        if isinstance(item, Dependency):
            exact.setdefault(str(canonicalize_name(item.name)), []).append(item)
        elif item.kind is SkipKind.UNPINNED and item.name:
            ranges.append(
                Pin(
                    canonicalize_name(item.name),
                    None,
                    item.specifier or "",
                    item.markers,
                    source=where,
                )
            )
        else:
            unchecked += 1
    pins: list[Pin] = []
    for name, deps in exact.items():
        versions = {dep.version for dep in deps}
        if len(versions) > 1 and not all(dep.markers for dep in deps):
            # Two versions without markers to choose between: a lock's platform forks. Leave the
            # name free rather than ask for both at once.
            pins.append(Pin(name, None, "", None, source=_relative(deps[0].source, root)))
            continue
        seen: set[tuple[str, str | None]] = set()
        for dep in deps:
            if (dep.version, dep.markers) not in seen:
                seen.add((dep.version, dep.markers))
                pins.append(
                    Pin(name, dep.version, "", dep.markers, dep.extras, _relative(dep.source, root))
                )
    return InstallSet(head, tuple(pins + ranges), unchecked)


def _relative(source: Source, root: Path) -> Source:
    path = Path(source.path)
    if path.is_absolute() and path.is_relative_to(root):
        return Source(str(path.relative_to(root)), source.line)
    return source


def _check_set(
    install: InstallSet, verdict: Verdict, uv: Uv, safe_floor: SafeFloor, work: Path
) -> None:
    keys = [pin.key for pin in install.pins if pin.key is not None and pin.key in verdict.targets]
    if not keys:
        return
    first = uv.compile(_lines(install, verdict.targets), workdir=work)
    if isinstance(first, Conflict):
        logger.debug("%s: the plan does not resolve: %s", install.head, first.chain)
    if isinstance(first, Resolved):
        if install.head not in verdict.checked:
            verdict.checked.append(install.head)
        return
    floors: dict[str, str] = {}
    active = [key for key in keys if key not in verdict.blocked]
    for _ in range(_MAX_ROUNDS):
        result = _relaxed(install, verdict.targets, floors, active, uv, work)
        if isinstance(result, Resolved):
            raised = _raised(install, verdict.targets, result)
            unsafe = {k: f for k, v in raised.items() if (f := safe_floor(k[0], v)) != v}
            if unsafe:
                floors.update({key[0]: floor for key, floor in unsafe.items()})
                continue
            for key, version in raised.items():
                verdict.targets[key] = version
                verdict.raised[key] = first.summary
                verdict.sources.setdefault(key, _source_of(install, key))
            if install.head not in verdict.checked:
                verdict.checked.append(install.head)
            return
        culprit = _culprit(install, verdict.targets, floors, active, uv, work)
        for key in [culprit] if culprit is not None else list(active):
            verdict.blocked[key] = result.summary
            verdict.targets.pop(key, None)
            active.remove(key)
        if not active:
            return
    for key in active:  # no plan found within the rounds: none of these bumps is safe to make
        verdict.blocked[key] = first.summary
        verdict.targets.pop(key, None)


def _lines(install: InstallSet, targets: Mapping[Key, str]) -> list[str]:
    return [pin.line(targets.get(pin.key) if pin.key else None) for pin in install.pins]


def _relaxed(
    install: InstallSet,
    targets: Mapping[Key, str],
    floors: Mapping[str, str],
    active: Sequence[Key],
    uv: Uv,
    work: Path,
) -> Resolved | Conflict:
    """Every exact pin as a floor (its planned target; the current version for a bump that is
    not active), resolved to the lowest releases that fit."""
    lines = []
    for pin in install.pins:
        if pin.key is None:
            lines.append(pin.line())
            continue
        planned = targets.get(pin.key) if pin.key in active else None
        floor = max(
            (v for v in (planned or pin.version, floors.get(pin.name)) if v),
            key=_version_key,
        )
        lines.append(pin.line(floor=floor))
    return uv.compile(lines, lowest=True, workdir=work)


def _culprit(
    install: InstallSet,
    targets: Mapping[Key, str],
    floors: Mapping[str, str],
    active: Sequence[Key],
    uv: Uv,
    work: Path,
) -> Key | None:
    """The one active bump without which the set resolves, if there is one."""
    for key in active:
        trial = [other for other in active if other != key]
        if isinstance(_relaxed(install, targets, floors, trial, uv, work), Resolved):
            return key
    return None


def _raised(install: InstallSet, targets: Mapping[Key, str], result: Resolved) -> dict[Key, str]:
    raised: dict[Key, str] = {}
    for pin in install.pins:
        if pin.key is None or pin.name not in result.versions:
            continue
        planned = targets.get(pin.key, pin.key[1])
        got = max(result.versions[pin.name], key=_version_key)
        if _version_key(got) > _version_key(planned):
            raised[pin.key] = got
    return raised


def _source_of(install: InstallSet, key: Key) -> Source:
    return next(pin.source for pin in install.pins if pin.key == key)


def _version_key(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        return Version("0")


def _check_uv_project(
    root: Path,
    texts: Mapping[Path, str],
    verdict: Verdict,
    uv: Uv,
    safe_floor: SafeFloor,
    work: Path,
) -> None:
    """`uv lock --dry-run -P name==target ...` in a copy of the project's manifests."""
    from depsentry.inputs.uv_lock import UvLockReader

    try:
        locked = [i for i in UvLockReader().read(root / "uv.lock") if isinstance(i, Dependency)]
    except InputError:
        return
    keys = [(d.name, d.version) for d in locked if (d.name, d.version) in verdict.targets]
    if not keys:
        return
    copy = _copy_manifests(root, texts, work / "uv-project")
    active = list(keys)
    while active:
        result = uv.lock(copy, [f"{k[0]}=={verdict.targets[k]}" for k in active])
        if isinstance(result, LockChanges):
            ours = {k[0] for k in active}
            moves = []
            for name, (old, new) in sorted(result.changes.items()):
                if name in ours or new is None:
                    continue
                # uv takes the newest release that fits; say so when even that one is affected.
                floor = safe_floor(name, new)
                affected = (
                    f" (affected by a known advisory, fixed in {floor})" if floor != new else ""
                )
                moves.append(f"{name} {old or '(new)'} -> {new}{affected}")
            verdict.moves["uv.lock"] = moves
            verdict.checked.append("uv.lock")
            return
        culprit = _lock_culprit(copy, verdict, active, uv)
        for key in [culprit] if culprit is not None else list(active):
            verdict.blocked[key] = result.summary
            verdict.targets.pop(key, None)
            active.remove(key)


def _lock_culprit(copy: Path, verdict: Verdict, active: Sequence[Key], uv: Uv) -> Key | None:
    """The one upgrade without which the re-lock works, if there is one."""
    for key in active:
        trial = [f"{k[0]}=={verdict.targets[k]}" for k in active if k != key]
        if isinstance(uv.lock(copy, trial), LockChanges):
            return key
    return None


def _copy_manifests(root: Path, texts: Mapping[Path, str], target: Path) -> Path:
    """The project's pyproject.toml files, uv.toml, uv.lock and .python-version, in place, with
    the planned edits; nothing else (uv lock needs no sources when metadata is static)."""
    copied = 0
    real_root = Path(os.path.realpath(root))
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _PRUNED and not d.startswith(".")]
        for name in filenames:
            source = Path(folder) / name
            if name not in _MANIFESTS or not source.is_file():
                continue
            if not Path(os.path.realpath(source)).is_relative_to(real_root):
                continue  # a symlink out of the project: never read
            copied += 1
            if copied > _MAX_MANIFESTS:
                return target
            destination = target / source.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            planned = texts.get(source)
            if planned is not None:
                destination.write_text(planned, encoding="utf-8")
            else:
                shutil.copyfile(source, destination)
    return target
