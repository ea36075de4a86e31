"""Files the advisory code reads: only regular files (a FIFO or device would block or never end)."""

from __future__ import annotations

import stat
from pathlib import Path

from depsentry.errors import AdvisoryDbError

__all__ = ["check_regular"]


def check_regular(path: Path, what: str, *, missing: str = "") -> None:
    """AdvisoryDbError unless `path` is a regular file; `missing` is the hint when it is absent."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise AdvisoryDbError(f"no {what} here{missing}", path) from None
    except OSError as exc:
        raise AdvisoryDbError(f"cannot read the {what}: {exc.strerror or exc}", path) from exc
    if stat.S_ISDIR(mode):
        raise AdvisoryDbError(f"is a directory, not an {what}", path)
    if not stat.S_ISREG(mode):
        raise AdvisoryDbError(f"not a regular file (a FIFO, device or socket), not an {what}", path)
