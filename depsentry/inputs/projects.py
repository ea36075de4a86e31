"""Which directories under a scanned root are projects, and which input files each one reads.

As osv-scanner and Renovate do: each directory holding a manifest or a lockfile is its own
project, and a lockfile covers the manifests beside it. A uv workspace (`[tool.uv.workspace]
members`) is one project with its members, and so is a lockfile with the local path packages it
pins (uv's editable/virtual members, Poetry's and PDM's path dependencies), as long as the member
has no lockfile of its own. `.gitignore` files are respected. Directories under `tests/`,
`fixtures/`, `examples/` or `docs/` are projects of their own like any other, marked
`incidental` so that reports can say how to leave them out.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from depsentry.errors import InputError
from depsentry.inputs.files import read_input
from depsentry.inputs.project import ProjectInputs, discover, read_project, reader_for
from depsentry.paths import RealPaths

__all__ = ["INCIDENTAL", "FoundProject", "configured_excludes", "find_projects", "read_projects"]

logger = logging.getLogger(__name__)

INCIDENTAL = frozenset(("tests", "test", "fixtures", "examples", "example", "docs", "doc"))
_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")  # the locks that can pin local path members
_MAX_LOCK_BYTES = 64 * 1024 * 1024  # a lock this big is not read twice just to find members


@dataclass(frozen=True, slots=True)
class FoundProject:
    """One project: its directory, its input files (its own and its members'), its members."""

    path: Path
    files: tuple[Path, ...]
    members: tuple[str, ...] = ()  # member directories, relative to `path`
    incidental: bool = False  # under tests/, fixtures/, examples/ or docs/


def configured_excludes(root: Path) -> tuple[str, ...]:
    """`exclude = [...]` of `[tool.depsentry]` in `root/pyproject.toml` (gitignore-style)."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return ()
    data = _toml(pyproject)
    tool = data.get("tool") if data else None
    settings = tool.get("depsentry") if isinstance(tool, dict) else None
    value = settings.get("exclude") if isinstance(settings, dict) else None
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError("[tool.depsentry] exclude: must be a list of non-empty strings", pyproject)
    return tuple(value)


def find_projects(
    root: Path,
    exclude: Sequence[str] = (),
    *,
    unlistable: list[OSError] | None = None,
    real: RealPaths | None = None,
) -> list[FoundProject]:
    """The projects under directory `root`, sorted by path (`root` itself first when it is one).

    `exclude`: gitignore-style patterns relative to `root`, for files and folders to leave out;
    a directory that cannot be listed is appended to `unlistable`; `real`: the scan's path
    resolutions.
    """
    real = RealPaths() if real is None else real
    by_dir: dict[Path, list[Path]] = {}
    refused: list[Path] = []
    for file in discover(root, exclude, gitignore=True, unlistable=unlistable):
        if not real.within(file, [root]):
            refused.append(file)  # not a project of its own: the project above reports it
            continue
        by_dir.setdefault(_owner(file, root), []).append(file)
    for file in refused:
        above = [d for d in by_dir if file.parent.is_relative_to(d)]
        home = max(above, key=lambda d: len(d.parts)) if above else _owner(file, root)
        by_dir.setdefault(home, []).append(file)
    owner = {folder: folder for folder in by_dir}
    if len(by_dir) > 1:
        for folder in sorted(by_dir):
            for member in _members(folder, by_dir):
                # A member with its own lockfile is its own project; the first claim wins.
                # Never a cycle: `member` must not already be what `folder` belongs to.
                free = owner[member] == member and _top(folder, owner) != member
                if free and not _has_lock(by_dir[member]):
                    owner[member] = folder
    groups: dict[Path, list[Path]] = {}
    for folder in sorted(by_dir):
        groups.setdefault(_top(folder, owner), []).append(folder)
    found: list[FoundProject] = []
    for folder in sorted(groups):
        members = [m for m in groups[folder] if m != folder]
        files = [f for m in (folder, *members) for f in by_dir[m]]
        rel = () if folder == root else folder.relative_to(root).parts
        found.append(
            FoundProject(
                path=folder,
                files=tuple(files),
                members=tuple(os.path.relpath(m, folder) for m in members),
                incidental=any(part in INCIDENTAL for part in rel),
            )
        )
    return found


def read_projects(
    root: Path,
    *,
    exclude: Sequence[str] = (),
    environment: Path | None = None,
    own_excludes: bool = True,
) -> list[tuple[FoundProject, ProjectInputs | InputError]]:
    """Each project under `root` read on its own (an error stays with its project).

    `environment` belongs to the project at `root` (made when `root` holds no input). A project
    whose every file is included by a requirements file of a project before it (`-r
    docs/requirements.txt`) is that project's input, not a project. No project at all raises
    the one-project error ("no dependency files found"). `own_excludes`: add the root's
    `[tool.depsentry] exclude`.
    """
    excludes = (*exclude, *(configured_excludes(root) if own_excludes else ()))
    unlistable: list[OSError] = []
    real = RealPaths()  # this tree's directories, resolved once for all its files
    projects = find_projects(root, excludes, unlistable=unlistable, real=real)
    if unlistable and not projects:
        problem = unlistable[0]
        raise InputError(
            f"cannot list this directory ({problem.strerror}); its files are not read",
            problem.filename,
        )
    # Each directory that could not be listed is reported by the nearest project above it.
    unlisted: dict[Path, list[OSError]] = {}
    for problem in unlistable:
        where = Path(str(problem.filename))
        owners = [p.path for p in projects if where.is_relative_to(p.path)]
        owner = max(owners, key=lambda p: len(p.parts)) if owners else projects[0].path
        unlisted.setdefault(owner, []).append(problem)
    if environment is not None and not (projects and projects[0].path == root):
        projects.insert(0, FoundProject(path=root, files=()))
    if not projects:
        read_project(root, exclude=excludes)  # raises the usual error, naming what it looked for
        raise InputError(
            "every dependency file here is gitignored (--one-project reads them)", root
        )
    results: list[tuple[FoundProject, ProjectInputs | InputError]] = []
    read_by_others: set[str] = set()
    for number, project in enumerate(projects, 1):
        # What the projects before read (none before the first: nothing to resolve).
        own = {real(f) for f in project.files} if read_by_others else set()
        if own and own <= read_by_others:
            logger.debug("%s: read as an input of another project", project.path)
            continue
        try:
            inputs = read_project(
                project.path,
                inputs=project.files,
                environment=environment if project.path == root else None,
                root=root,  # a member may include a file of the tree above it, never beyond
                unlisted=unlisted.get(project.path, ()),
                real=real,
            )
        except InputError as exc:
            results.append((project, exc))
            continue
        if number < len(projects):  # only the projects after it look at it
            read_by_others.update(real(os.path.join(project.path, rel)) for rel in inputs.inputs)
        results.append((project, inputs))
    return results


def _owner(file: Path, root: Path) -> Path:
    """The project directory of an input file: its folder, or the folder above a
    `requirements/` folder (`requirements/base.txt` belongs to the project beside it), never
    above the scanned root."""
    parent = file.parent
    if parent.name == "requirements" and parent != root:
        return parent.parent
    return parent


def _has_lock(files: Sequence[Path]) -> bool:
    return any((reader := reader_for(f)) is not None and reader.is_lockfile for f in files)


def _top(folder: Path, owner: dict[Path, Path]) -> Path:
    """The project `folder` belongs to (find_projects never links a cycle)."""
    while owner[folder] != folder:
        folder = owner[folder]
    return folder


def _members(folder: Path, by_dir: dict[Path, list[Path]]) -> Iterator[Path]:
    """Project directories (keys of `by_dir`) that `folder`'s workspace or locks make members."""
    names = {f.name for f in by_dir[folder]}
    candidates: list[Path] = []
    if "pyproject.toml" in names:
        candidates.extend(_uv_workspace(folder))
    for lock in _LOCKS:
        if lock in names:
            candidates.extend(_lock_paths(folder / lock))
    for candidate in candidates:
        resolved = Path(os.path.normpath(candidate))
        if resolved != folder and resolved in by_dir:
            yield resolved


def _uv_workspace(folder: Path) -> Iterator[Path]:
    data = _toml(folder / "pyproject.toml")
    tool = data.get("tool") if data else None
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    if not isinstance(workspace, dict):
        return
    excluded = {
        Path(os.path.normpath(match))
        for pattern in _strings(workspace.get("exclude"))
        for match in folder.glob(pattern)
    }
    for pattern in _strings(workspace.get("members")):
        for match in folder.glob(pattern):
            if match.is_dir() and Path(os.path.normpath(match)) not in excluded:
                yield match


# What a lock that pins a local package must contain: most locks do not, and are not parsed.
_LOCAL_MARKS = {
    "uv.lock": ("editable =", "virtual =", "directory ="),
    "poetry.lock": ('"directory"',),
    "pdm.lock": ("path =",),
}


def _lock_paths(lock: Path) -> Iterator[Path]:
    """Local directories a lock pins packages from, relative to the lock's folder."""
    data = _toml(lock, _LOCAL_MARKS[lock.name])
    packages = data.get("package") if data else None
    for package in packages if isinstance(packages, list) else ():
        if not isinstance(package, dict):
            continue
        source = package.get("source")
        if lock.name == "uv.lock" and isinstance(source, dict):
            # uv: `source = { editable = "pkg" }`, `virtual`, `directory`.
            paths = [source.get(key) for key in ("editable", "virtual", "directory")]
        elif lock.name == "poetry.lock" and isinstance(source, dict):
            # Poetry: `[package.source] type = "directory", url = "../lib"`.
            paths = [source.get("url")] if source.get("type") == "directory" else []
        else:
            paths = [package.get("path")]  # pdm: `path = "./packages/lib"`
        for raw in paths:
            if isinstance(raw, str) and raw and "://" not in raw:
                yield lock.parent / raw


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _toml(path: Path, marks: Sequence[str] = ()) -> dict[str, object] | None:
    """The file's TOML, or None: a broken file is reported by its reader, not here; and None
    without parsing when the text holds none of `marks` (when given). A symlink is not followed
    (it may leave the project: its reader refuses it) and only a regular file is read."""
    try:
        if path.is_symlink() or path.stat().st_size > _MAX_LOCK_BYTES:
            return None
        text = read_input(path)
        if marks and not any(mark in text for mark in marks):
            return None
        import tomllib  # only a folder with TOML files needs it

        return tomllib.loads(text)
    except (OSError, InputError, UnicodeDecodeError, RecursionError):
        return None
    except ValueError:  # TOMLDecodeError, or a number of thousands of digits
        return None
