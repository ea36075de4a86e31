"""The one way a reader gets an input file's text: a regular file only (a FIFO, device or socket
would block or never end), at most `max_input_bytes()` long, decoded as pip decodes requirements
files (a UTF-8, UTF-16 or UTF-32 byte-order mark is honoured and dropped; else strict UTF-8)."""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from depsentry.errors import ConfigError, InputError, reading
from depsentry.paths import read_up_to

__all__ = ["MAX_INPUT_ENV", "decode", "max_input_bytes", "read_input"]

MAX_INPUT_ENV = "DEPSENTRY_MAX_INPUT_MB"
_DEFAULT_MAX_MB = 50
# UTF-32 first: its little-endian mark starts with UTF-16's (pip's auto_decode checks the same marks).
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def max_input_bytes() -> int:
    """The size cap of one input file: `DEPSENTRY_MAX_INPUT_MB` (a positive number), else 50 MB."""
    raw = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not raw:
        return _DEFAULT_MAX_MB * 1_000_000
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = 0.0
    if not 0 < megabytes < 1e9:
        raise ConfigError(f"{MAX_INPUT_ENV} must be a positive number of megabytes, not {raw!r}")
    return int(megabytes * 1_000_000)


def read_input(path: Path) -> str:
    """The text of the input file `path`, or a one-line InputError (not a regular file, too
    large, not text, unreadable)."""
    cap = max_input_bytes()
    with reading(path):
        _check_regular(os.stat(path).st_mode, path)
        # O_NONBLOCK, then fstat: a FIFO swapped in after the stat must not block the open.
        fd = os.open(path, _FLAGS)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _check_regular(info.st_mode, path)
            if info.st_size > cap:
                raise _too_large(path, cap)
            data = read_up_to(handle, info.st_size, cap)
        if len(data) > cap:
            raise _too_large(path, cap)
        try:
            return decode(data)
        except UnicodeDecodeError as exc:
            if exc.encoding == "utf-8":
                raise  # reading() words it
            raise InputError(f"not {exc.encoding.upper()} text ({exc.reason})", path) from exc


def decode(data: bytes) -> str:
    """Bytes -> text as pip reads a requirements file: a byte-order mark picks the encoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    return data.decode("utf-8")


def _check_regular(mode: int, path: Path) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(path)  # reading() words it
    if not stat.S_ISREG(mode):
        raise InputError("not a regular file (a FIFO, device or socket); not read", path)


def _too_large(path: Path, cap: int) -> InputError:
    return InputError(
        f"larger than the input size cap of {cap / 1_000_000:g} MB; not read "
        f"(set {MAX_INPUT_ENV} to raise it)",
        path,
    )
