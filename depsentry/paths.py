"""Where depsentry keeps its state (`DEPSENTRY_HOME`, else the XDG state directory), the one
test of whether a path a project names stays inside that project, and the capped read of one
file (the input readers and the advisory sync).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from depsentry.errors import ConfigError, DepsentryError

__all__ = ["OUTSIDE", "confined", "project_of", "read_up_to", "state_dir"]

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


def confined(
    path: Path,
    roots: Iterable[Path],
    *,
    what: str,
    error: type[DepsentryError] = ConfigError,
    where: str | Path | None = None,
) -> Path:
    """`path` resolved (symlinks followed), if it lies inside one of `roots`; else `error`.

    The guard for every path a scanned project names itself (policy `extends`, `[tool.depsentry]
    policy`, `--since`): a repository must not make depsentry read a file outside it.
    """
    resolved = Path(os.path.realpath(path))
    real_roots = [Path(os.path.realpath(root)) for root in roots]
    if any(resolved.is_relative_to(root) for root in real_roots):
        return resolved
    via = f" (resolves to {resolved})" if str(resolved) != os.path.abspath(path) else ""
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
