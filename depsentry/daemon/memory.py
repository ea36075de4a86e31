"""Give memory back between rounds: the matcher's caches go, and the C heap returns freed pages.

A long-running daemon is judged by its idle RSS; CPython's allocator keeps freed arenas and
glibc keeps freed heap pages until asked (`malloc_trim`), so dropping the caches alone is not
enough. The next round reloads what it needs from the advisory database.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from functools import cache

from depsentry.advisories.osv_db import OsvDbSource

__all__ = ["release_memory", "settle"]

logger = logging.getLogger(__name__)


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return libc.malloc_trim  # glibc only; musl and others have no such call
    except (OSError, AttributeError, TypeError):
        return None


def settle() -> None:
    """Once started: what is alive now lives as long as the daemon, so the collector stops
    walking it (`gc.freeze`); each full collection of a round of scans otherwise re-walked
    every module, table and cache, a tenth of the daemon's CPU."""
    gc.collect()
    gc.freeze()


def release_memory(source: OsvDbSource | None) -> None:
    """Drop `source`'s match caches, collect garbage and trim the heap (in a worker thread).
    Frozen objects are collected too (a reload or a sync may have dropped some), then what is
    left is frozen again."""
    if source is not None:
        source.forget()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    logger.debug("memory released", extra={"action": "memory_released"})
