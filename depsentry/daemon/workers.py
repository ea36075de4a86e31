"""Scans in worker processes (`daemon.workers`): the engine's memory (parsed files, the matcher's
caches) lives in spawned processes that the service stops when the queue is idle, so the daemon
process itself stays small. The daemon alone writes the store: a worker only scans.

A worker loads the advisory database once and keeps its caches warm across projects; it opens
the database again when the daemon's generation changes (a sync swapped it). A worker that
dies mid-scan (OOM killer, kill -9) costs nothing but time: the daemon asks a fresh worker for
the same scan, under the same run.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from dataclasses import replace
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

from depsentry.daemon import signals
from depsentry.daemon.scanning import Cancel, ScanRequest, WorkerError, scan_engine
from depsentry.daemon.settings import Settings
from depsentry.errors import DepsentryError
from depsentry.models import ProjectReport

__all__ = ["WorkerPool", "for_workers"]

logger = logging.getLogger(__name__)

POLL = 0.2  # seconds between checks for a stop or a timeout while a worker scans
ATTEMPTS = 2  # a scan whose worker dies is tried once more in a fresh one


def for_workers(settings: Settings) -> Settings:
    """What a worker needs of the settings: no project list, no channels or their secrets."""
    return replace(settings, projects=(), channels=(), alert_channels=(), triage=())


def _serve(conn: Connection, settings: Settings, database: Path, level: int) -> None:
    """A worker's loop: one request at a time until told to stop or the daemon goes away."""
    from depsentry.advisories.osv_db import OsvDbSource
    from depsentry.advisories.osv_store import OsvStore
    from depsentry.daemon import logs

    signals.leave_to_the_daemon()
    logs.configure(settings.log_format, level)  # the engine's warnings, as the daemon logs
    generation, source = -1, None
    stopping = threading.Event()  # never set: the daemon stops a worker by ending it
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        request, wanted = message
        try:
            if source is None or wanted != generation:
                if source is not None:
                    source.close()
                source, generation = OsvDbSource(OsvStore.open(database)), wanted
            cancel = Cancel(stopping, time.monotonic() + request.seconds)
            answer: tuple[str, Any] = ("ok", scan_engine(request, settings, [source], cancel))
        except TimeoutError:
            answer = ("timeout", None)  # a git fetch or index wait past the scan's timeout
        except DepsentryError as exc:
            answer = ("failed", str(exc))
        except Exception as exc:
            logger.exception("worker scan of %s failed", request.project.name)
            answer = ("error", type(exc).__name__)
        conn.send(answer)


class _Worker:
    def __init__(self, context: Any, settings: Settings, database: Path):
        self.conn, child = multiprocessing.Pipe()
        self.process: SpawnProcess = context.Process(
            target=_serve,
            args=(child, settings, database, logging.getLogger().level),
            name="depsentry-worker",
            daemon=True,
        )
        with signals.blocked_for_a_child():
            self.process.start()
        child.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """At most `size` worker processes, started on demand; `stop_idle` ends the idle ones."""

    def __init__(self, settings: Settings, size: int, database: Path):
        self.settings = for_workers(settings)
        self.size = size
        self.database = database
        self.generation = 0
        self._context = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        self._free = threading.Semaphore(size)

    def swapped(self) -> None:
        """The advisory database changed: workers open it again before their next scan."""
        self.generation += 1

    def scan(self, request: ScanRequest, cancel: Cancel) -> ProjectReport:
        """Run `request` in a worker (an `Engine`); raises what an in-thread scan would."""
        for attempt in range(1, ATTEMPTS + 1):
            while not self._free.acquire(timeout=POLL):
                cancel.check()
            try:
                answer = self._ask(request, cancel, attempt)
            finally:
                self._free.release()
            if answer is None:
                continue  # the worker died: a fresh one tries again
            kind, value = answer
            if kind == "ok":
                assert isinstance(value, ProjectReport)
                return value
            if kind == "failed":
                raise DepsentryError(value)
            if kind == "timeout":
                raise TimeoutError
            raise WorkerError(value)
        raise DepsentryError(f"the scan's worker process died {ATTEMPTS} times")

    def _ask(self, request: ScanRequest, cancel: Cancel, attempt: int) -> tuple[str, Any] | None:
        worker = self._take(request.project.name)
        keep = False
        try:
            worker.conn.send((request, self.generation))
            while not worker.conn.poll(POLL):
                if not worker.process.is_alive() and not worker.conn.poll():
                    break
                cancel.check()  # Interrupted or TimeoutError: the worker is ended below
            else:
                answer: tuple[str, Any] = worker.conn.recv()
                keep = True
                return answer
        except TimeoutError:
            raise  # the scan's own timeout (an OSError too), not a broken pipe
        except (EOFError, OSError):
            pass
        finally:
            self._give_back(worker, keep)
        logger.warning(
            "worker %s died scanning %s (exit code %s); attempt %d of %d",
            worker.process.pid, request.project.name, worker.process.exitcode, attempt, ATTEMPTS,
            extra={"action": "worker_died", "project": request.project.name,
                   "exitcode": worker.process.exitcode},
        )  # fmt: skip
        return None

    def _take(self, project: str) -> _Worker:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None or not worker.process.is_alive():
            if worker is not None:
                worker.kill()
            worker = _Worker(self._context, self.settings, self.database)
            logger.info(
                "worker %s started for %s", worker.process.pid, project,
                extra={"action": "worker_started", "pid": worker.process.pid, "project": project},
            )  # fmt: skip
        with self._lock:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker, keep: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.kill()

    def stop_idle(self) -> int:
        """End every idle worker (the queue is empty); how many were ended."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
        return len(idle)

    def close(self) -> None:
        """End every worker, busy ones too (shutdown, after the drain)."""
        self.stop_idle()
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()
