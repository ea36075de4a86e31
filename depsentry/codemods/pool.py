"""Worker processes for a codemod run: chunks of files in parallel, where a crash costs one file.

concurrent.futures' pool breaks as a whole when one worker dies (a segfault in libcst's native
parser, the OOM killer) and cannot say which task killed it. Here each worker takes one chunk at
a time over its own pipe, so the chunk a dead or stuck worker held is known: its items are
retried one by one in fresh workers, and an item that still kills (or outlives its deadline in)
its worker gets `crashed(item, reason)` as its result. Results come back in chunk order.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.context
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar

from depsentry.errors import CodemodError

__all__ = ["map_chunks"]

T = TypeVar("T")
R = TypeVar("R")

# Workers that die before taking any work (fork failing, say) end the run instead of looping.
_MAX_START_FAILURES = 3


@dataclass
class _Task(Generic[T]):
    chunk: int
    offset: int
    items: list[T]


@dataclass(frozen=True)
class _Failure:
    """What a worker sends back when `work` raised instead of returning."""

    reason: str


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection


def map_chunks(
    work: Callable[[list[T]], list[R]],
    chunks: Sequence[list[T]],
    workers: int,
    crashed: Callable[[T, str], R],
    timeout: float | None = None,
) -> Iterator[list[R]]:
    """`work(chunk)` for every chunk, in `workers` processes, yielded in chunk order.

    `work` must return one result per item. `timeout` bounds the seconds one item may take.
    """
    context = multiprocessing.get_context()
    queue: deque[_Task[T]] = deque(_Task(i, 0, list(chunk)) for i, chunk in enumerate(chunks))
    slots: list[list[R | None]] = [[None] * len(chunk) for chunk in chunks]
    missing = [len(chunk) for chunk in chunks]
    idle: list[_Worker] = []
    busy: dict[Connection, tuple[_Worker, _Task[T], float]] = {}
    next_chunk = 0
    failures = 0

    def record(task: _Task[T], results: Sequence[R]) -> None:
        slots[task.chunk][task.offset : task.offset + len(results)] = results
        missing[task.chunk] -= len(results)

    try:
        while queue or busy:
            while queue and len(busy) < workers:
                worker = idle.pop() if idle else _start(context, work)
                task = queue.popleft()
                try:
                    worker.conn.send(task.items)
                except OSError:  # died while idle: not the task's fault
                    _stop(worker)
                    queue.appendleft(task)
                    failures += 1
                    if failures >= _MAX_START_FAILURES:
                        raise CodemodError("codemod worker processes keep dying at start") from None
                    continue
                deadline = time.monotonic() + timeout * len(task.items) if timeout else 0.0
                busy[worker.conn] = (worker, task, deadline)
            ready = wait(list(busy), timeout=_next_timeout(busy.values()))
            for conn in ready:
                assert isinstance(conn, Connection)
                worker, task, _ = busy.pop(conn)
                try:
                    results = conn.recv()
                except (EOFError, OSError):
                    _retry_or_fail(task, _stop(worker), queue, record, crashed)
                    continue
                failures = 0
                idle.append(worker)
                if isinstance(results, _Failure):
                    _retry_or_fail(task, results.reason, queue, record, crashed)
                else:
                    record(task, results)
            now = time.monotonic()
            for conn, (worker, task, deadline) in list(busy.items()):
                if deadline and now >= deadline:
                    del busy[conn]
                    worker.process.kill()
                    _stop(worker)
                    seconds = f"{timeout:g} s" if len(task.items) == 1 else "its deadline"
                    _retry_or_fail(task, f"took longer than {seconds}", queue, record, crashed)
            while next_chunk < len(chunks) and missing[next_chunk] == 0:
                done = slots[next_chunk]
                slots[next_chunk] = []
                next_chunk += 1
                yield [result for result in done if result is not None]
    finally:
        for worker, _, _ in busy.values():  # interrupted: their work is not wanted any more
            worker.process.kill()
        for worker in [*idle, *(entry[0] for entry in busy.values())]:
            _stop(worker)  # an idle worker ends when its pipe closes


def _retry_or_fail(
    task: _Task[T],
    reason: str,
    queue: deque[_Task[T]],
    record: Callable[[_Task[T], Sequence[R]], None],
    crashed: Callable[[T, str], R],
) -> None:
    if len(task.items) > 1:
        singles = [_Task(task.chunk, task.offset + i, [item]) for i, item in enumerate(task.items)]
        queue.extendleft(reversed(singles))
    else:
        record(task, [crashed(task.items[0], reason)])


def _next_timeout(entries: Iterable[tuple[_Worker, _Task[T], float]]) -> float | None:
    deadlines = [deadline for _, _, deadline in entries if deadline]
    if not deadlines:
        return None
    return max(0.0, min(deadlines) - time.monotonic())


def _start(
    context: multiprocessing.context.DefaultContext, work: Callable[[list[T]], list[R]]
) -> _Worker:
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(child, work), daemon=True)
    process.start()
    child.close()
    return _Worker(process, parent)


def _stop(worker: _Worker) -> str:
    """Close a worker down; how it ended, for a FAILED line ("SIGSEGV", "exit status 3")."""
    # A stop message, not only a closed pipe: later workers inherit copies of this pipe's end.
    with suppress(OSError):
        worker.conn.send(None)
    worker.conn.close()
    worker.process.join(timeout=5)
    if worker.process.exitcode is None:
        worker.process.kill()
        worker.process.join()
    code = worker.process.exitcode or 0
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process died ({name})"
    return f"the worker process died (exit status {code})"


def _serve(conn: Connection, work: Callable[[list[T]], list[R]]) -> None:
    # Ctrl-C is the parent's to handle: a worker stops when told to, or is killed. A crash is
    # reported by the parent in one line, so no faulthandler dump goes to the shared stderr.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if items is None:
            return
        try:
            results: object = work(items)
        except Exception as exc:  # the worker lives on; the parent retries or reports the items
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            results = _Failure(f"the worker failed: {type(exc).__name__}: {message}")
        conn.send(results)
