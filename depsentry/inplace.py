"""Edit a project file in place without losing anything: the file must be unchanged since it was
read, writes go through a symlink to its target (inside the project only), owner, mode and hard
links are kept, and read-only files are refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from depsentry.errors import InputError, reading

__all__ = ["Snapshot", "preflight", "read_snapshot", "replace"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Snapshot:
    """A file as it was read: where its bytes live and how to tell that they have changed."""

    path: Path  # as named (it may be a symlink)
    target: Path  # the regular file behind it
    mtime_ns: int
    size: int
    digest: str
    data: bytes  # what was read, BOM included (also what a failed batch restores)

    @property
    def text(self) -> str:
        """The file's text: UTF-8, BOM removed, line endings untouched."""
        return self.data.removeprefix(_BOM).decode("utf-8")

    def encode(self, text: str) -> bytes:
        """`text` as this file stores it (its BOM kept)."""
        return (_BOM if self.data.startswith(_BOM) else b"") + text.encode("utf-8")


def read_snapshot(path: Path, root: Path) -> Snapshot:
    """Read `path`, which must be (or link to) a regular file inside `root`."""
    target = _target(path, root)
    with reading(path):
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError("not a regular file; not edited", path)
            data = handle.read()
        text_check = data.removeprefix(_BOM)
        text_check.decode("utf-8")
    return Snapshot(
        path, target, info.st_mtime_ns, info.st_size, hashlib.sha256(data).hexdigest(), data
    )


def preflight(snapshot: Snapshot) -> None:
    """Raise InputError unless `snapshot`'s file is unchanged and may be written."""
    try:
        info = os.stat(snapshot.target)
    except OSError as exc:
        raise InputError(
            f"cannot edit: {exc.strerror or exc}; nothing written", snapshot.path
        ) from exc
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file any more; nothing written", snapshot.path)
    if (info.st_mtime_ns, info.st_size) != (snapshot.mtime_ns, snapshot.size) or _digest(
        snapshot.target
    ) != snapshot.digest:
        raise InputError(
            "changed since it was read (edited meanwhile?); nothing written, run fix again",
            snapshot.path,
        )
    if not info.st_mode & 0o222 or not os.access(snapshot.target, os.W_OK):
        raise InputError("read-only; nothing written (make it writable to fix it)", snapshot.path)


def replace(snapshot: Snapshot, data: bytes, *, check: bool = True) -> None:
    """Make `snapshot`'s file hold `data`: atomically (temporary file, fsync, rename) when owner,
    mode and links survive that, else in place. `check=False` skips the unchanged check (to put
    back what a failed batch already replaced)."""
    if check:
        preflight(snapshot)
    info = os.stat(snapshot.target)
    if info.st_nlink > 1 or not _can_keep_owner(info):
        # A rename would break the hard link or hand the file to us: rewrite the same inode.
        _write_in_place(snapshot, data, check=check)
        return
    try:
        _write_atomic(snapshot, data, info, check=check)
    except PermissionError:
        _write_in_place(snapshot, data, check=check)  # e.g. the directory is not writable


def _target(path: Path, root: Path) -> Path:
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    if not real.is_relative_to(real_root):
        what = "is a symlink to" if path.is_symlink() else "resolves to"
        raise InputError(f"{what} {real}, outside the project; not edited", path)
    return real


def _digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _can_keep_owner(info: os.stat_result) -> bool:
    if os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and (
        info.st_gid == os.getegid() or info.st_gid in os.getgroups()
    )


def _write_atomic(snapshot: Snapshot, data: bytes, info: os.stat_result, *, check: bool) -> None:
    target = snapshot.target
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(handle.fileno(), info.st_uid, info.st_gid)
        if check:
            preflight(snapshot)  # the last moment: an edit made while we wrote is not lost
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _write_in_place(snapshot: Snapshot, data: bytes, *, check: bool) -> None:
    with open(snapshot.target, "r+b") as handle:
        if check and hashlib.sha256(handle.read()).hexdigest() != snapshot.digest:
            raise InputError(
                "changed since it was read (edited meanwhile?); nothing written, run fix again",
                snapshot.path,
            )
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
