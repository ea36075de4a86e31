"""Group commit: writes that several threads ask for at once share one transaction.

A round of a thousand scans records each in a few small transactions; begin, commit and the
hand-over of the one SQLite write lock cost as much as the rows. The thread that gets the lock
first writes everything queued by then, each write in its own savepoint (one write's error
never rolls back another's), and every caller gets its result only after the commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from depsentry.daemon.store.engine import writing

__all__ = ["GroupCommit"]

T = TypeVar("T")


class _Write(Generic[T]):
    def __init__(self, work: Callable[[Connection], T]):
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class GroupCommit:
    """Runs `work(conn)` calls from many threads, batched into shared transactions."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._queue: list[_Write[Any]] = []
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()

    def run(self, work: Callable[[Connection], T]) -> T:
        """`work` in a write transaction (maybe shared); its result once that committed."""
        write = _Write(work)
        with self._queue_lock:
            self._queue.append(write)
        with self._leader:
            if not write.done.is_set():
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        write.done.wait()
        if write.error is not None:
            raise write.error
        return write.result  # type: ignore[return-value]

    def _write(self, batch: list[_Write[Any]]) -> None:
        try:
            with writing(self.engine) as conn:
                for write in batch:
                    savepoint = conn.begin_nested() if len(batch) > 1 else None
                    try:
                        write.result = write.work(conn)
                    except BaseException as exc:
                        if savepoint is None:
                            raise
                        savepoint.rollback()
                        write.error = exc
                    else:
                        if savepoint is not None:
                            savepoint.commit()
        except BaseException as exc:
            for write in batch:
                write.error = write.error or exc
        finally:
            for write in batch:
                write.done.set()
