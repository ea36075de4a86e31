"""Which files a codemod run covers (gitignore-aware), and writing a rewrite back atomically."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec, PathSpec, Pattern

from depsentry.errors import CodemodError

# Never walked into, whatever .gitignore says: VCS data, virtualenvs and installed packages.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "site-packages"}
)
DEFAULT_INCLUDE = ("*.py",)

_Ignores = tuple[tuple[Path, GitIgnoreSpec], ...]


@dataclass(frozen=True)
class SourceFile:
    """A file to transform, and the directory it was found under (which gives its module name)."""

    path: Path
    root: Path


def find_files(
    paths: Iterable[Path], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[SourceFile]:
    """Expand `paths` into the files to transform, in a stable order.

    A file named explicitly is always kept. A directory is walked, skipping `SKIP_DIRS`, whatever
    its `.gitignore` files (its own, nested ones, and its parents' up to the git root) ignore, and
    files not matching `include` (default `*.py`) or matching `exclude`. Globs use gitignore
    syntax, relative to the directory given.
    """
    include_spec = PathSpec.from_lines("gitignore", include or DEFAULT_INCLUDE)
    exclude_spec = PathSpec.from_lines("gitignore", exclude)
    found: dict[Path, SourceFile] = {}
    for path in paths:
        if path.is_file():
            found.setdefault(path, SourceFile(path, path.parent))
        elif path.is_dir():
            for file in _walk(path, include_spec, exclude_spec):
                found.setdefault(file, SourceFile(file, path))
        else:
            raise CodemodError("no such file or directory", path)
    return sorted(found.values(), key=lambda f: f.path)


def _walk(root: Path, include: PathSpec[Pattern], exclude: PathSpec[Pattern]) -> Iterator[Path]:
    # Ignore rules are matched on absolute paths built without syscalls (no resolve() per file).
    root_abs = root.resolve()
    ignores: dict[Path, _Ignores] = {root: _parent_ignores(root_abs)}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        here_rel = here.relative_to(root)
        chain = ignores.pop(here)
        spec = _read_gitignore(here)
        if spec is not None:
            chain = (*chain, (root_abs / here_rel, spec))
        kept = []
        for name in sorted(dirnames):
            rel = here_rel / name
            if (
                name in SKIP_DIRS
                or exclude.match_file(rel.as_posix() + "/")
                or _is_ignored(root_abs / rel, True, chain)
            ):
                continue
            ignores[here / name] = chain
            kept.append(name)
        dirnames[:] = kept
        for name in filenames:
            rel = here_rel / name
            if (
                include.match_file(rel.as_posix())
                and not exclude.match_file(rel.as_posix())
                and not _is_ignored(root_abs / rel, False, chain)
            ):
                yield here / name


def _parent_ignores(root: Path) -> _Ignores:
    """The .gitignore files above `root` (absolute), up to the repository's top, outermost first."""
    chain: list[tuple[Path, GitIgnoreSpec]] = []
    if (root / ".git").exists():
        return ()
    for directory in root.parents:
        spec = _read_gitignore(directory)
        if spec is not None:
            chain.insert(0, (directory, spec))
        if (directory / ".git").exists():
            return tuple(chain)
    # Not inside a repository: the .gitignore files above do not apply.
    return ()


def _read_gitignore(directory: Path) -> GitIgnoreSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return GitIgnoreSpec.from_lines(text.splitlines())


def _is_ignored(path: Path, is_dir: bool, chain: _Ignores) -> bool:
    # The deepest .gitignore with a matching pattern decides, as in git.
    for base, spec in reversed(chain):
        rel = path.relative_to(base).as_posix()
        result = spec.check_file(rel + "/" if is_dir else rel)
        if result.include is not None:
            return result.include
    return False


def write_atomically(path: Path, text: str) -> None:
    """Replace `path`'s content with `text` (UTF-8), keeping its mode; never leaves it half-written."""
    target = path.resolve()  # write through a symlink rather than replacing it
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
