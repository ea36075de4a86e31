"""Which files a codemod run covers, reading them safely, and writing a rewrite back atomically.

The rules for a tree other people push to: only regular files are read (a FIFO, device or
socket is skipped, never opened for a blocking read), up to a size cap; a symlink is followed
only to a file inside the tree it was found in (a file named on the command line: the current
directory), and a file reached twice is processed once; a directory that cannot be listed is
reported, not passed over. A write goes to a temporary file beside the target and replaces it
only if the target is still the file that was read.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from depsentry.errors import CodemodError

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

# Never walked into, whatever .gitignore says: VCS data, virtualenvs and installed packages.
SKIP_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "site-packages"}
)
DEFAULT_INCLUDE = ("*.py",)
DEFAULT_MAX_BYTES = 50_000_000  # the scanner's input cap: 50 MB

_Ignores = tuple[tuple[Path, "GitIgnoreSpec"], ...]
# pathspec's regex for the default include, `*.py` (tests check it is still pathspec's): a run
# with the default globs and no .gitignore does not import pathspec (a tenth of its start-up).
_DEFAULT_INCLUDE = re.compile(r"^(?:.+/)?[^/]*\.py(?:/|$)")


class _Globs(Protocol):
    def match_file(self, file: str) -> bool: ...


class _NoGlobs:
    def match_file(self, file: str) -> bool:
        return False


class _DefaultInclude:
    def match_file(self, file: str) -> bool:
        return _DEFAULT_INCLUDE.match(file) is not None


def _globs(lines: Sequence[str]) -> _Globs:
    """A gitignore-style matcher of `lines`, pathspec's unless they are none or the default."""
    if not lines:
        return _NoGlobs()
    if tuple(lines) == DEFAULT_INCLUDE:
        return _DefaultInclude()
    from pathspec import PathSpec

    return PathSpec.from_lines("gitignore", lines)


@dataclass(frozen=True)
class SourceFile:
    """A path a run covers: `root` gives its module name, `tree` bounds where symlinks may lead.

    `skip` is set (a reason) for a path that is reported but never read.
    """

    path: Path
    root: Path
    skip: str = ""
    tree: Path | None = field(default=None, compare=False)


class Stamp(NamedTuple):
    """What identifies the version of a file that was read (checked again before the write)."""

    device: int
    inode: int
    size: int
    mtime_ns: int


class SkippedFile(Exception):
    """A path that is not read: not a regular file, or over the size cap."""


def display(path: Path | str) -> str:
    """`path` for a terminal or a log: bytes that are not UTF-8 shown as `\\xff` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def find_files(
    paths: Iterable[Path], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[SourceFile]:
    """Expand `paths` into the files to transform (and the skipped ones), in a stable order.

    A file named explicitly is always kept. A directory is walked, skipping `SKIP_DIRS`, whatever
    its `.gitignore` files (its own, nested ones, and its parents' up to the git root) ignore, and
    files not matching `include` (default `*.py`) or matching `exclude`. Globs use gitignore
    syntax, relative to the directory given.
    """
    include_spec = _globs(include or DEFAULT_INCLUDE)
    exclude_spec = _globs(exclude)
    found: dict[Path, SourceFile] = {}
    try:
        cwd: Path | None = Path.cwd().resolve()
    except OSError:  # the current directory was removed: a named file's own directory bounds it
        cwd = None
    for path in paths:
        if os.path.isdir(path):
            for file in _walk(path, include_spec, exclude_spec):
                found.setdefault(file.path, file)
        elif os.path.lexists(path):
            tree = cwd or Path(os.path.abspath(path)).parent
            found.setdefault(path, _classify(SourceFile(path, path.parent, tree=tree)))
        else:
            raise CodemodError("no such file or directory", display(path))
    return _once_each(sorted(found.values(), key=lambda f: f.path))


def _classify(file: SourceFile) -> SourceFile:
    """`file`, marked skipped when it is a symlink out of its tree or not a regular file."""
    tree = file.tree or file.root
    try:
        if not stat.S_ISREG(os.stat(file.path).st_mode):
            return _skipped(file, "not a regular file")
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError | PermissionError):
            return _skipped(file, f"cannot read: {exc.strerror or exc}")
        # a dangling link, or a file we may not look at: reading it reports the error
    if os.path.islink(file.path):
        target = Path(os.path.realpath(file.path))
        if not target.is_relative_to(tree.resolve()):
            return _skipped(file, f"symlink to {display(target)}, outside {display(tree)}")
    return file


def _skipped(file: SourceFile, reason: str) -> SourceFile:
    return SourceFile(file.path, file.root, reason, file.tree)


def _once_each(files: list[SourceFile]) -> list[SourceFile]:
    # A symlink to a file inside the tree and the file itself: rewrite the file once.
    first: dict[str, SourceFile] = {}
    for file in files:
        if file.skip:
            continue
        real = os.path.realpath(file.path)
        kept = first.get(real)
        if kept is None or (os.path.islink(kept.path) and not os.path.islink(file.path)):
            first[real] = file
    keep = {id(file) for file in first.values()}
    result = []
    for file in files:
        if file.skip or id(file) in keep:
            result.append(file)
            continue
        other = first[os.path.realpath(file.path)]
        result.append(_skipped(file, f"same file as {display(other.path)}"))
    return result


def _walk(root: Path, include: _Globs, exclude: _Globs) -> Iterator[SourceFile]:
    # Ignore rules are matched on absolute paths built without syscalls (no resolve() per file).
    root_abs = root.resolve()
    ignores: dict[Path, _Ignores] = {root: _parent_ignores(root_abs)}
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        yield from (_unlistable(root, error) for error in errors)
        errors.clear()
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
            if os.path.islink(here / name):
                # Not walked: inside the tree it is walked where it really is; outside, never.
                target = Path(os.path.realpath(here / name))
                if not target.is_relative_to(root_abs):
                    reason = f"symlink to {display(target)}, outside {display(root)}"
                    yield SourceFile(here / name, root, reason, root)
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
                yield _classify(SourceFile(here / name, root, tree=root))
    yield from (_unlistable(root, error) for error in errors)


def _unlistable(root: Path, error: OSError) -> SourceFile:
    path = Path(error.filename) if error.filename else root
    return SourceFile(path, root, f"cannot list directory: {error.strerror or error}", root)


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
    path = directory / ".gitignore"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        data = read_bytes(path, DEFAULT_MAX_BYTES)[0]
    except (OSError, SkippedFile):
        return None
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(data.decode("utf-8", "replace").splitlines())


def _is_ignored(path: Path, is_dir: bool, chain: _Ignores) -> bool:
    # The deepest .gitignore with a matching pattern decides, as in git.
    for base, spec in reversed(chain):
        rel = path.relative_to(base).as_posix()
        result = spec.check_file(rel + "/" if is_dir else rel)
        if result.include is not None:
            return result.include
    return False


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, Stamp]:
    """The content of the regular file `path`, and its stamp.

    Raises SkippedFile for anything else (a FIFO is opened non-blocking and never read) or a
    file over `max_bytes`, and OSError when it cannot be read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SkippedFile("not a regular file")
        if info.st_size > max_bytes:
            raise SkippedFile(f"larger than {_size(max_bytes)} (--max-file-size)")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # grew while being read
            raise SkippedFile(f"larger than {_size(max_bytes)} (--max-file-size)")
        return data, Stamp(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    finally:
        os.close(fd)


def _size(count: int) -> str:
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count} bytes"


def write_back(file: SourceFile, text: str, stamp: Stamp | None) -> None:
    """Replace `file`'s content with `text` (UTF-8); CodemodError (one line) when it must not.

    The target (a symlink's, when it stays inside the tree) must still be the regular file that
    was read, unchanged (same inode, size and mtime: a concurrent edit is never overwritten) and
    writable. Mode and owner are kept; a file with several hard links is written in place so the
    links stay one file; otherwise a temporary file beside it is renamed over it.
    """
    name = display(file.path)
    tree = (file.tree or file.root).resolve()
    target = Path(os.path.realpath(file.path))
    if os.path.islink(file.path) and not target.is_relative_to(tree):
        raise CodemodError(f"not written: the symlink now leads outside {display(tree)}", name)
    try:
        info = os.stat(target)
    except OSError as exc:
        raise CodemodError(f"cannot write: {exc.strerror or exc}", name) from exc
    if not stat.S_ISREG(info.st_mode):
        raise CodemodError("not written: no longer a regular file", name)
    if (
        stamp is not None
        and Stamp(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) != stamp
    ):
        raise CodemodError("not written: it changed on disk while being rewritten", name)
    if not os.access(target, os.W_OK) or not info.st_mode & stat.S_IWUSR:
        raise CodemodError("not written: the file is read-only", name)
    data = text.encode("utf-8")
    try:
        if info.st_nlink > 1:
            _write_in_place(target, data)
        else:
            _replace(target, data, info)
    except OSError as exc:
        raise CodemodError(f"cannot write: {exc.strerror or exc}", name) from exc


def _write_in_place(target: Path, data: bytes) -> None:
    with open(target, "r+b") as out:
        out.write(data)
        out.truncate()


def _replace(target: Path, data: bytes, info: os.stat_result) -> None:
    import tempfile  # only a write needs it

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode))
            _keep_owner(out.fileno(), info)
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _keep_owner(fd: int, info: os.stat_result) -> None:
    if (info.st_uid, info.st_gid) == (os.getuid(), os.getgid()):
        return
    with suppress(PermissionError):  # only root may give a file away; others keep their own
        os.fchown(fd, info.st_uid, info.st_gid)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path`'s content with `text` (UTF-8), keeping its mode; never leaves it half-written."""
    target = Path(os.path.realpath(path))  # write through a symlink rather than replacing it
    _replace(target, text.encode("utf-8"), os.stat(target))
