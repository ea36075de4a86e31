"""Report files (`-o`): written whole or not at all.

The report goes to a temporary file in the same directory, which then replaces the old one with
`os.replace` (atomic on POSIX): a crash or a full disk mid-write leaves the old report intact,
which matters because the last report is the `--since` history. An existing file keeps its mode;
a symlink is written through to its target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from depsentry.errors import DepsentryError

__all__ = [
    "Discard",
    "append_file",
    "atomic_output",
    "cannot_write",
    "temporary_beside",
    "write_output",
]


class Discard(Exception):  # noqa: N818 - an instruction, not an error
    """Raised inside `atomic_output`'s block: leave the old report as it was, and go on."""


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[TextIO]:
    """A text file to write the report into; it becomes `path` only when the block succeeds."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise cannot_write(exc, path) from exc
    try:
        fd, tmp = temporary_beside(target)
    except OSError as exc:
        raise cannot_write(exc, path) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, Discard):
            return
        if isinstance(exc, OSError):
            raise cannot_write(exc, path) from exc
        raise


def temporary_beside(target: Path, suffix: str = ".tmp") -> tuple[int, str]:
    """A new file beside `target`, as `tempfile.mkstemp` makes it (written by hand: importing
    tempfile and random costs a one-project scan more start-up than the write itself)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        tmp = str(target.parent / f".{target.name}.{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(target.parent))


def append_file(handle: TextIO, path: Path) -> None:
    """`path`'s bytes (UTF-8 text) appended to `handle` by the kernel (copy_file_range): a
    split scan's second half, megabytes that need no decoding and encoding again."""
    handle.flush()
    with path.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        copied = 0
        with contextlib.suppress(OSError, AttributeError):  # no copy_file_range here: by hand
            while copied < size and (
                n := os.copy_file_range(source.fileno(), handle.fileno(), size - copied)
            ):
                copied += n
        source.seek(copied)
        while chunk := source.read(1 << 20):
            _write_all(handle.fileno(), chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_output(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (see `atomic_output`)."""
    with atomic_output(path) as handle:
        handle.write(text)


def cannot_write(exc: OSError, path: Path) -> DepsentryError:
    return DepsentryError(f"cannot write the report ({exc.strerror or exc})", path)


def _umask() -> int:
    # os has no way to read the umask without setting it.
    mask = os.umask(0)
    os.umask(mask)
    return mask
