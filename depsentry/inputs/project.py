"""One project's dependencies: find its input files, read each, and merge them.

Merge rules: a lockfile's (or an installed environment's) exact pins win over declared ranges;
`direct` marks what the project declares itself; one (name, version) is reported once.
Here a directory is ONE project: files in its subdirectories (requirements/base.txt, services/x/
pyproject.toml) belong to it; `projects.py` splits a tree into projects first.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import operator
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from depsentry.errors import InputError, reading
from depsentry.inputs.common import excerpt, parsed_version, version_problem
from depsentry.inputs.files import read_input
from depsentry.inputs.interface import InputReader
from depsentry.inputs.registry import PATTERNS, readers
from depsentry.inputs.registry import reader as load_reader
from depsentry.inputs.requirements import RequirementsReader, RequirementsTree, read_tree
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.paths import OUTSIDE, RealPaths, confined, relative

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

__all__ = ["NO_LOCK_NOTE", "ProjectInputs", "discover", "read_project", "reader_for"]

logger = logging.getLogger(__name__)

NO_LOCK_NOTE = "transitive dependencies are unknown: no lockfile or environment"
_PRUNED = frozenset(
    (".venv", "venv", "node_modules", ".git", "site-packages", "__pycache__", ".tox", ".nox")
)

Entry = Dependency | Skipped


@dataclass(slots=True)
class ProjectInputs:
    """Everything read from one project (paths relative to `root`)."""

    root: Path
    inputs: list[str] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requires_python: str | None = None  # the project's own, from its top-level pyproject.toml
    policy: str | None = None  # [tool.depsentry] policy: a bundled name, or an absolute path


@cache
def _matchers() -> tuple[tuple[str, str | None, re.Pattern[str]], ...]:
    """(reader name, folder or None, file-name pattern), from the registry: no reader imported."""
    found: list[tuple[str, str | None, re.Pattern[str]]] = []
    for reader_name, patterns in PATTERNS.items():
        for pattern in patterns:
            folder, _, name = pattern.rpartition("/")
            found.append((reader_name, folder or None, re.compile(fnmatch.translate(name))))
    return tuple(found)


def reader_for(path: Path) -> InputReader | None:
    """The reader whose file-name pattern matches `path`, if any."""
    return _reader_named(path.parent.name, path.name)


@lru_cache(maxsize=4096)  # each project names the same few files
def _reader_named(parent: str, name: str) -> InputReader | None:
    for reader_name, folder, pattern in _matchers():
        if (folder is None or folder == parent) and pattern.match(name):
            return load_reader(reader_name)
    return None


def discover(
    root: Path,
    exclude: Sequence[str] = (),
    *,
    unlistable: list[OSError] | None = None,
    gitignore: bool = False,
) -> list[Path]:
    """Every regular file under `root` a reader claims, sorted; virtualenvs, VCS and hidden dirs
    pruned, and whatever the gitignore-style `exclude` patterns name (relative to `root`).
    A directory that cannot be listed is appended to `unlistable` (os.walk would skip it silently).
    With `gitignore`, every `.gitignore` found on the way applies below its own folder."""
    spec = None
    if exclude:
        from pathspec import GitIgnoreSpec  # only excludes need it; plain scans start faster

        spec = GitIgnoreSpec.from_lines(exclude)
    # Per folder: the (base prefix, spec) of every .gitignore from `root` down to it.
    ignores: dict[str, list[tuple[str, GitIgnoreSpec]]] = {".": []}
    found: list[Path] = []
    top = os.fspath(root)
    for folder, dirnames, filenames in os.walk(root, onerror=_collect(unlistable)):
        base = Path(folder)
        rel = "." if folder == top else base.relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        active = ignores.pop(rel, [])
        if gitignore and ".gitignore" in filenames:
            active = [*active, (prefix, _gitignore_spec(base / ".gitignore"))]
        dirnames[:] = [
            d
            for d in dirnames
            if d not in _PRUNED
            and not d.startswith(".")
            and not _ignored(f"{prefix}{d}/", spec, active)
        ]
        for d in dirnames:
            ignores[f"{prefix}{d}"] = active
        folder_name, ignoring = base.name, spec is not None or bool(active)
        for name in filenames:
            if _reader_named(folder_name, name) is None or (
                ignoring and _ignored(prefix + name, spec, active)
            ):
                continue
            path = base / name
            # A FIFO or device named requirements.txt would block the read forever.
            if _is_file(path):
                found.append(path)
    return sorted(found, key=lambda p: p.as_posix())


def _collect(into: list[OSError] | None) -> Callable[[OSError], None] | None:
    return None if into is None else into.append


def _is_file(path: Path) -> bool:
    """A regular file, or a name the reader must report (a FIFO, or one it may not stat)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return os.path.lexists(path)  # a dangling link, no permission: the reader says so
    return not stat.S_ISDIR(mode)


def _ignored(
    full: str, spec: GitIgnoreSpec | None, active: list[tuple[str, GitIgnoreSpec]]
) -> bool:
    """`full` (relative to the root) is excluded, or ignored by a .gitignore above it."""
    if spec is not None and spec.match_file(full):
        return True
    return any(s.match_file(full[len(at) :]) for at, s in active)


def _gitignore_spec(path: Path) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    try:
        lines = read_input(path).splitlines()  # regular files only: a FIFO must not hang discovery
    except InputError:
        lines = []  # an unreadable .gitignore ignores nothing, as git itself does
    return GitIgnoreSpec.from_lines(lines)


def read_project(
    path: Path,
    *,
    environment: Path | None = None,
    exclude: Sequence[str] = (),
    root: Path | None = None,
    inputs: Sequence[Path] | None = None,
    unlisted: Sequence[OSError] = (),
    real: RealPaths | None = None,
) -> ProjectInputs:
    """Read the project at `path` (a directory, or one file) and merge what its inputs say.

    `inputs`: the directory's input files, already found (`projects.find_projects`), instead of all
    it holds; `unlisted`: the directories that search could not list, reported with them.

    Raises InputError when `path` is missing, has no inputs, when the file named is unreadable,
    or when every input is; a single broken file among good ones becomes a `Skipped` UNREADABLE
    (an unexpected error in a reader too: one file never aborts the scan). Nothing outside
    `root` (default: the directory scanned, or the named file's directory) is read: an input
    symlinked out of it, or an `-r`/`-c` include leaving it, is skipped. `real`: the scan's
    path resolutions (its directories are resolved once).
    """
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        raise InputError("no such file or directory", path) from None
    except OSError as exc:  # e.g. a file in a directory we may not search
        raise InputError(f"cannot read it: {exc.strerror or exc}", path) from None
    unlistable: list[OSError] = list(unlisted)
    if is_dir:
        found = discover(path, exclude, unlistable=unlistable) if inputs is None else list(inputs)
        files, named = found, False
        if not files and not unlistable and environment is None:
            # Declared inputs first (requirements, pyproject, Pipfile), then the lockfiles.
            ordered = sorted(readers(), key=lambda r: (r.is_lockfile, r.name != "requirements"))
            names = ", ".join(p for reader in ordered for p in reader.patterns)
            raise InputError(f"no dependency files found (looked for {names})", path)
    else:
        files, named = [path], True
    base = path if is_dir else path.parent
    root = base if root is None else root
    real = RealPaths() if real is None else real

    merger = _Merger(base)
    errors: list[InputError] = []
    for problem in unlistable:
        error = InputError(
            f"cannot list this directory ({problem.strerror}); its files are not read",
            problem.filename,
        )
        errors.append(error)
        merger.unreadable(Path(problem.filename), error)
    trees: list[RequirementsTree] = []
    for file in files:
        try:
            trees.extend(_read_file(file, merger, root=root, named=named, real=real))
        except InputError as exc:
            if named:
                raise
            errors.append(exc)
            merger.unreadable(file, exc)
    for tree, lock in _top_trees(trees, named=named, real=real):
        # As a lock, a constraints file says what is installed, not what the project asks for.
        items = [dataclasses.replace(i, direct=False) for i in tree.items] if lock else tree.items
        read = tree.files + tree.constraint_files
        merger.add(tree.files[0], items, lock=lock, files=read, relative=True)
    if errors and len(errors) == len(files) + len(unlistable) and environment is None:
        raise errors[0]  # alone, without the warnings: the project is one error line
    if environment is not None:
        from depsentry.inputs.environment import EnvironmentReader

        items = list(EnvironmentReader().read(environment))
        merger.add(environment, items, lock=True, files=[environment], environment=True)
    result = merger.result()
    if named and environment is None:
        _check_named(path, result)
    result.requires_python, result.policy = _project_settings(base / "pyproject.toml", root, real)
    # Warned only once the project is known to be readable, so a broken one stays one line.
    for item in result.skipped:
        if item.kind in (SkipKind.INVALID, SkipKind.UNREADABLE):
            logger.warning("%s: %s", item.source, item.reason)
    return result


def _read_file(
    file: Path, merger: _Merger, *, root: Path, named: bool, real: RealPaths
) -> list[RequirementsTree]:
    """Read one input into `merger` (a requirements tree is returned, merged once all are read).

    InputError for a file that cannot be used, including one a reader crashed on: a bug, but
    one file's bug must not abort a scan of many (a file named alone crashes as it is).
    """
    # os.walk does not follow symlinked directories: only a discovered file itself can lead out.
    if not named and os.path.islink(file):
        try:
            confined(file, [root], what="input", error=InputError, real=real)
        except InputError:
            raise InputError(f"a symlink to {OUTSIDE}, not read", file) from None
    reader = reader_for(file) if not named else (reader_for(file) or _sniff(file))
    assert reader is not None  # discover() only returns claimed files
    try:
        if isinstance(reader, RequirementsReader):
            # Sources relative to the project already: the merger need not rebuild each entry.
            return [read_tree(file, root=root, relative_to=merger.root, real=real)]
        items = list(reader.read(file))
    except InputError:
        raise
    except Exception as exc:
        if named:
            raise
        logger.debug("reading %s failed", file, exc_info=True)
        message = excerpt(f"{type(exc).__name__}: {exc}", 100)
        raise InputError(
            f"unexpected error ({message}); a depsentry bug, please report it", file
        ) from exc
    merger.add(file, items, lock=reader.is_lockfile, files=[file])
    return []


def _check_named(path: Path, result: ProjectInputs) -> None:
    """A file named directly that pins nothing and is mostly not requirements (`scan README.md`)
    is an error: its warnings and a clean exit would read as a project without vulnerabilities."""
    if result.dependencies:
        return
    invalid = [item for item in result.skipped if item.kind is SkipKind.INVALID]
    if invalid and len(invalid) * 2 > len(result.skipped):
        first = invalid[0]
        raise InputError(
            f"not a dependency file: no pinned requirement, and {len(invalid)} of "
            f"{len(result.skipped)} entries are invalid (first: {first.reason})",
            path,
            first.source.line,
        )


def _project_settings(
    pyproject: Path, root: Path, real: RealPaths
) -> tuple[str | None, str | None]:
    """The project's `requires-python` (PEP 621, else Poetry's `python` as PEP 440) and its
    `[tool.depsentry] policy`; None for what it does not say."""
    if not os.path.lexists(pyproject):
        return None, None
    try:
        if os.path.islink(pyproject) or pyproject.parent != root:
            confined(pyproject, [root], what="pyproject.toml", error=InputError, real=real)
        import tomllib  # only a project with a pyproject.toml needs it

        data = tomllib.loads(read_input(pyproject))
    except (InputError, ValueError, RecursionError):  # TOMLDecodeError, 5,000-digit numbers
        return None, None  # the pyproject reader has already reported what is wrong with it
    raw_tool = data.get("tool")
    tool: dict[str, object] = raw_tool if isinstance(raw_tool, dict) else {}
    requires_python = _requires_python(data, tool)
    if requires_python is not None and version_problem(requires_python):
        logger.warning(
            "%s: requires-python ignored: %s", pyproject, version_problem(requires_python)
        )
        requires_python = None
    return requires_python, _policy(tool, pyproject.parent)


def _requires_python(data: dict[str, object], tool: dict[str, object]) -> str | None:
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("requires-python"), str):
        return str(project["requires-python"])
    poetry = tool.get("poetry")
    deps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(deps, dict) and isinstance(deps.get("python"), str):
        from depsentry.inputs.poetry_constraint import to_pep440

        return to_pep440(deps["python"])
    return None


def _policy(tool: dict[str, object], root: Path) -> str | None:
    settings = tool.get("depsentry")
    value = settings.get("policy") if isinstance(settings, dict) else None
    if not isinstance(value, str) or not value:
        return None
    is_path = "/" in value or "\\" in value or value.endswith(".toml")
    return str((root / value).resolve()) if is_path else value


def _top_trees(
    trees: list[RequirementsTree], *, named: bool, real: RealPaths
) -> list[tuple[RequirementsTree, bool]]:
    """Requirement trees not included by another (unless mutually, a cycle); a constraints file
    found in a directory and included by nothing acts as a lock (its pins are what gets installed)."""
    if len(trees) == 1:  # no other tree to be included by: nothing to resolve
        return [(trees[0], _acts_as_lock(trees[0], named))]
    included = {
        id(tree): {real(p) for p in (*tree.files[1:], *tree.constraint_files)} for tree in trees
    }
    tops = {id(tree): real(tree.files[0]) for tree in trees}
    kept: list[tuple[RequirementsTree, bool]] = []
    for tree in trees:
        top = tops[id(tree)]
        by_others = [
            other
            for other in trees
            if other is not tree
            and top in included[id(other)]
            and tops[id(other)] not in included[id(tree)]
        ]
        if not by_others:
            kept.append((tree, _acts_as_lock(tree, named)))
    return kept


def _acts_as_lock(tree: RequirementsTree, named: bool) -> bool:
    return not named and tree.files[0].name.startswith("constraints")


def _sniff(path: Path) -> InputReader:
    """The reader for a file named directly whose name no pattern claims: look at its content."""
    by_name = {reader.name: reader for reader in readers()}
    suffix = path.suffix.lower()
    if suffix == ".json":
        return by_name["pipfile-lock"]
    if suffix in (".toml", ".lock"):
        text = read_input(path)
        with reading(path):
            import tomllib

            data = tomllib.loads(text)
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        if "lock-version" in data:
            return by_name["pylock"]
        if "lock_version" in metadata:
            return by_name["pdm-lock"]
        if "lock-version" in metadata:
            return by_name["poetry-lock"]
        if "version" in data and "package" in data:
            return by_name["uv-lock"]
        if "packages" in data or "dev-packages" in data:
            return by_name["pipfile"]
        return by_name["pyproject"]
    return by_name["requirements"]


class _Merger:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs: list[str] = []
        self.environments: list[str] = []
        self.declared: list[Entry] = []
        self.locked: list[Entry] = []
        self.broken: list[Skipped] = []
        self.has_lock = False
        self._relative: dict[str, str] = {}

    def add(
        self,
        path: Path,
        items: list[Entry],
        *,
        lock: bool,
        files: list[Path],
        environment: bool = False,
        relative: bool = False,
    ) -> None:
        """`relative`: the items' sources are relative to the project already."""
        for file in files:
            name = self._rel(str(file), environment)
            listed = self.environments if environment else self.inputs
            if name not in listed:
                listed.append(name)
        if relative:
            relocated = [_bounded(i) if isinstance(i, Skipped) else i for i in items]
        else:
            relocated = [self._relocate(item, environment) for item in items]
        if lock:
            self.has_lock = True
            self.locked.extend(relocated)
        else:
            self.declared.extend(relocated)

    def unreadable(self, path: Path, error: InputError) -> None:
        where = self._rel(str(path), False)
        self.broken.append(
            Skipped(
                requirement=where,
                reason=error.message,  # the file and line are the entry's source
                source=Source(where, error.line),
                kind=SkipKind.UNREADABLE,
            )
        )

    def result(self) -> ProjectInputs:
        project = ProjectInputs(root=self.root, inputs=sorted(self.inputs) + self.environments)
        declared_names = {item.name for item in self.declared if item.name}
        locked_names = {item.name for item in self.locked if isinstance(item, Dependency)}
        merged: dict[str, list[Dependency]] = {}
        for item in self.locked:
            if isinstance(item, Dependency):
                if not item.direct and item.name in declared_names:
                    item = dataclasses.replace(item, direct=True)
                _merge(merged, item)
        skipped: list[Skipped] = [item for item in self.locked if isinstance(item, Skipped)]
        for item in self.declared:
            if isinstance(item, Dependency):
                _merge(merged, item)
            elif not (item.kind is SkipKind.UNPINNED and item.name in locked_names):
                skipped.append(item)
        skipped.extend(self.broken)
        # Unique keys (one pin per name and version): the order merged in does not show.
        project.dependencies = sorted(
            (pin for pins in merged.values() for pin in pins),
            key=lambda d: (d.name, d.version, d.source.path, d.source.line or 0),
        )
        project.skipped = sorted(
            dict.fromkeys(skipped), key=lambda s: (s.source.path, s.source.line or 0, s.requirement)
        )
        if not self.has_lock:
            project.notes.append(NO_LOCK_NOTE)
        return project

    def _rel(self, path: str, environment: bool) -> str:
        known = self._relative.get(path)
        if known is None:
            shown = relative(path, self.root)
            if environment and shown.startswith(".."):
                shown = path  # an environment outside the project keeps its own path
            known = self._relative[path] = shown
        return known

    def _relocate(self, item: Entry, environment: bool) -> Entry:
        if isinstance(item, Skipped):
            item = _bounded(item)
        where = self._rel(item.source.path, environment)
        if where == item.source.path:
            return item
        # Once per pin: positional construction, without `dataclasses.replace`'s checks.
        fields, at = _FIELDS[type(item)]
        values = list(fields(item))
        values[at] = Source(where, item.source.line)
        return type(item)(*values)


def _fields(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], int]:
    """Every field of `cls` in one C call, and where "source" is among them."""
    names = [f.name for f in dataclasses.fields(cls)]
    return operator.attrgetter(*names), names.index("source")


_FIELDS = {cls: _fields(cls) for cls in (Dependency, Skipped)}


_MAX_TEXT = 300


def _bounded(item: Skipped) -> Skipped:
    """The guard for every format: a skipped entry echoes at most a short, printable part of
    what the file said (readers already shorten what they can; this catches the rest)."""
    requirement, reason = item.requirement, item.reason
    if len(requirement) > _MAX_TEXT or not requirement.isprintable():
        requirement = excerpt(requirement, _MAX_TEXT // 2)
    if len(reason) > _MAX_TEXT or not reason.isprintable():
        reason = excerpt(reason, _MAX_TEXT)
    if requirement is item.requirement and reason is item.reason:
        return item
    return dataclasses.replace(item, requirement=requirement, reason=reason)


def _merge(merged: dict[str, list[Dependency]], item: Dependency) -> None:
    # By PEP 440 equality: a manifest's `mypy==1.17` and the lock's `1.17.0` are one pin.
    # By name first: most names have one pin, and hashing a Version is Python code.
    pins = merged.get(item.name)
    if pins is None:
        merged[item.name] = [item]
        return
    version = parsed_version(item.version) or item.version
    same = (
        i for i, pin in enumerate(pins) if (parsed_version(pin.version) or pin.version) == version
    )
    index = next(same, None)
    if index is None:
        pins.append(item)
        return
    seen = pins[index]
    direct = seen.direct or item.direct
    groups = tuple(sorted(set(seen.groups) | set(item.groups)))
    if direct != seen.direct or groups != seen.groups:
        pins[index] = dataclasses.replace(seen, direct=direct, groups=groups)
