"""Where depsentry keeps its state (`DEPSENTRY_HOME`, else the XDG state directory), the one
test of whether a path a project names stays inside that project, and the capped read of one
file (the input readers and the advisory sync).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from depsentry.errors import ConfigError, DepsentryError

__all__ = ["OUTSIDE", "RealPaths", "confined", "project_of", "read_up_to", "relative", "state_dir"]

OUTSIDE = "outside the project; refused"  # every refusal says it: reports and checks find it


def state_dir() -> Path:
    """The directory for the advisory database, HTTP cache and store (created on demand).

    Raises ConfigError (one line, exit 2) when it cannot be a directory: DEPSENTRY_HOME naming a
    file, a parent that is a file, no permission to create it.
    """
    home = os.environ.get("DEPSENTRY_HOME")
    if home:
        path, what = Path(home), "DEPSENTRY_HOME"
    else:
        import platformdirs  # only without DEPSENTRY_HOME: it costs start-up time

        path, what = Path(platformdirs.user_state_dir("depsentry")), "state directory"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} is not a directory; point it at a directory", path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConfigError(f"{what}: a parent is not a directory", path) from None
    except OSError as exc:
        raise ConfigError(f"{what}: cannot create it ({exc.strerror or exc})", path) from None
    return path


class RealPaths:
    """`os.path.realpath` for the many files of one scan, each directory resolved only once.

    A file's own name is looked at (lstat) on every call, so a symlink to it is always seen; a
    directory's resolution is kept, so make one of these per scan, never one for good. (By
    hand: realpath re-resolves every directory of the path for each file, ~5 lstat calls each.)
    """

    __slots__ = ("_dirs",)

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}

    def __call__(self, path: str | os.PathLike[str]) -> str:
        text = os.fspath(path)
        # Only a plain path: realpath takes `..` after a symlink's target, not lexically.
        if os.sep != "/" or "/." in text or "//" in text or text.endswith("/") or text[:1] == ".":
            return os.path.realpath(text)
        head, _, name = text.rpartition("/")
        if not name:
            return os.path.realpath(text)
        folder = self.folder(head or ("/" if text[:1] == "/" else ""))
        joined = f"{folder}/{name}" if folder != "/" else f"/{name}"
        try:
            is_link = stat.S_ISLNK(os.lstat(joined).st_mode)
        except OSError:
            is_link = False  # as realpath: a name that cannot be looked at stays as it is
        return os.path.realpath(text) if is_link else joined

    def folder(self, path: str | os.PathLike[str]) -> str:
        """`os.path.realpath(path)`, resolved the first time only."""
        text = os.fspath(path)
        known = self._dirs.get(text)
        if known is None:
            known = self._dirs[text] = os.path.realpath(text)
        return known

    def within(self, path: str | os.PathLike[str], roots: Iterable[str | os.PathLike[str]]) -> str:
        """`path` resolved, if it lies inside one of `roots` (resolved too); else ''."""
        resolved = self(path)
        for root in roots:
            real_root = self.folder(root)
            if os.sep != "/":
                if Path(resolved).is_relative_to(real_root):
                    return resolved
            elif resolved == real_root or resolved.startswith(
                real_root if real_root.endswith("/") else f"{real_root}/"
            ):
                return resolved
        return ""


def relative(path: str | os.PathLike[str], start: str | os.PathLike[str]) -> str:
    """`os.path.relpath(path, start)`; at once for a file right in `start` (most inputs)."""
    text, base = os.fspath(path), os.fspath(start)
    head, sep, name = text.rpartition(os.sep)
    if sep and head == base and name not in ("", ".", ".."):
        return name
    return os.path.relpath(text, base)


def confined(
    path: Path,
    roots: Iterable[Path],
    *,
    what: str,
    error: type[DepsentryError] = ConfigError,
    where: str | Path | None = None,
    real: RealPaths | None = None,
) -> Path:
    """`path` resolved (symlinks followed), if it lies inside one of `roots`; else `error`.

    The guard for every path a scanned project names itself (policy `extends`, `[tool.depsentry]
    policy`, `--since`): a repository must not make depsentry read a file outside it. `real`:
    the scan's resolutions, to resolve its directories once.
    """
    return Path(confined_text(path, roots, what=what, error=error, where=where, real=real))


def confined_text(
    path: str | os.PathLike[str],
    roots: Iterable[str | os.PathLike[str]],
    *,
    what: str,
    error: type[DepsentryError] = ConfigError,
    where: str | Path | None = None,
    real: RealPaths | None = None,
) -> str:
    """`confined`, as a string (no pathlib parsing for each of a scan's files)."""
    real = RealPaths() if real is None else real
    resolved = real.within(path, roots)
    if resolved:
        return resolved
    resolved = real(path)
    via = f" (resolves to {resolved})" if resolved != os.path.abspath(path) else ""
    raise error(f"{what}: {path}{via} is {OUTSIDE}", where)


def project_of(
    path: Path,
    roots: Iterable[Path],
    *,
    what: str,
    error: type[DepsentryError] = ConfigError,
) -> Path | None:
    """The root among `roots` that `path` lies in (by its name), or None for a path elsewhere.

    A path the operator names may point anywhere, but one inside a project must not leave it
    through a symlink: that is refused, as `confined` refuses it.
    """
    absolute = Path(os.path.abspath(path))
    for root in roots:
        if absolute.is_relative_to(os.path.abspath(root)):
            confined(path, [root], what=what, error=error)
            return root
    return None


def read_up_to(handle: BinaryIO, size: int, cap: int) -> bytes:
    """An open file's bytes, at most `cap` + 1 (more than `cap`: too large), `size` being its
    fstat size. Sized to the file first: `read(cap + 1)` allocates the whole cap for every
    small file; then the rest, if it grew since the fstat (or is a size-0 /proc file)."""
    data = handle.read(min(size, cap) + 1)
    if size < len(data) <= cap:
        data += handle.read(cap + 1 - len(data))
    return data
