"""The service: one object that owns the order of start-up, work and shutdown.

startup: store (migrated; runs left `running` by a crash marked interrupted) -> advisory
database -> HTTP (/readyz says 503) -> catch-up of what fell due while down -> scheduler ->
READY=1. shutdown: unready, STOPPING=1, scheduler off, no new work, running scans drain within
`drain_timeout` (then they are told to stop and marked interrupted), HTTP off, store closed.
SIGHUP reloads the config beside the running one and swaps it in only if it is valid.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry

from depsentry import __version__
from depsentry.advisories.osv_db import OsvDbSource
from depsentry.daemon import jobs, signals
from depsentry.daemon.advisories import Advisories
from depsentry.daemon.config import load_settings
from depsentry.daemon.credentials import read_secret
from depsentry.daemon.memory import release_memory, settle
from depsentry.daemon.metrics import Metrics
from depsentry.daemon.queue import Offer, WorkQueue
from depsentry.daemon.scanning import Cancel, scan_project
from depsentry.daemon.scheduler import Scheduler
from depsentry.daemon.sdnotify import Notifier, watchdog_interval
from depsentry.daemon.settings import Settings
from depsentry.daemon.status import StatusSnapshot, build_snapshot
from depsentry.daemon.store import Store
from depsentry.daemon.watch import ConfigWatcher
from depsentry.daemon.workers import WorkerPool
from depsentry.errors import DepsentryError

__all__ = ["RUNTIME_FILE", "Service", "State"]

logger = logging.getLogger(__name__)

RUNTIME_FILE = "daemon.json"
COUNTS_EVERY = 2.0  # seconds between finding counts (metrics, status page) while scans run
TRIM_AFTER = 5.0  # seconds of an empty queue before the caches go and the heap is trimmed
T = TypeVar("T")


class State(enum.Enum):
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Service:
    """The daemon. `await Service(settings).run()` until a signal or `request_stop()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: CollectorRegistry | None = None,
        notifier: Notifier | None = None,
        once: bool = False,
        only: tuple[str, ...] = (),
        install_signals: bool = True,
    ):
        self.settings = settings
        self.metrics = Metrics(registry)
        self.notifier = notifier or Notifier()
        self.once = once
        self.only = only  # --once for these projects only (`daemon scan --local`)
        self.install_signals = install_signals
        self.state = State.STARTING
        self._store: Store | None = None
        self.advisories = Advisories(
            settings.state_dir, settings.advisory_source,
            offline=settings.offline, embedded_fallback=settings.embedded_fallback,
        )  # fmt: skip
        self.scheduler = Scheduler(self.metrics, settings.timezone)
        self.queue = WorkQueue(self._scan, settings.concurrency, self._queue_changed)
        self.http: Any = None
        self.relay: Any = None  # relay.Relay once the store is open (not with --once)
        self.url: str | None = None
        self._token: str | None = None
        self._commands: asyncio.Queue[signal.Signals] | None = None
        self._side: set[asyncio.Task[Any]] = set()
        self._stopping = threading.Event()
        self._force = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        self._counts: dict[str, dict[tuple[str, str], int]] = {}
        self._counts_dirty = False
        self._counts_task: asyncio.Task[Any] | None = None
        self._trim_task: asyncio.Task[Any] | None = None
        self.attempts: dict[
            str, datetime
        ] = {}  # last attempt per project, kept in step with the store
        self._executor = ThreadPoolExecutor(settings.concurrency + 1, thread_name_prefix="scan")
        self._exit_code = 0
        # Each scan's ScanSummary, kept only with --once: a long run would grow it forever.
        self.summaries: list[Any] = []
        self.workers: WorkerPool | None = None
        if settings.workers:
            self.workers = WorkerPool(settings, settings.workers, self.advisories.path)

    # -- the face the HTTP layer sees -----------------------------------------------------------

    @property
    def store(self) -> Store | None:
        return self._store

    @property
    def registry(self) -> CollectorRegistry:
        return self.metrics.registry

    @property
    def timezone(self) -> str:
        return self.settings.timezone

    def token(self) -> str | None:
        return self._token

    def readiness(self) -> dict[str, bool]:
        """The /readyz checks (runs in a worker thread: the store check writes)."""
        store_ok = False
        if self._store is not None:
            try:
                self._store.check_writable(datetime.now(UTC))
                store_ok = True
            except DepsentryError:
                store_ok = False
        return {
            "running": self.state is State.RUNNING,
            "database": self.advisories.loaded,
            "scheduler": self.scheduler.running,
            "store": store_ok,
        }

    def osv_database(self) -> OsvDbSource | None:
        """The advisory database the OSV API answers from (None until one is loaded)."""
        return self.advisories.current

    def snapshot(self) -> StatusSnapshot:
        """The status page's data (runs in a worker thread: it reads the store)."""
        assert self._store is not None
        store, settings, now = self._store, self.settings, datetime.now(UTC)
        info = self.advisories.info()
        sync_state = store.jobs().get(jobs.SYNC)
        return build_snapshot(
            now=now,
            ready=self.state is State.RUNNING and self.advisories.loaded,
            projects=[(p.name, p.location) for p in settings.projects],
            states=store.project_states(),
            counts=self._counts,
            violations=store.open_violations(),
            next_run={
                p.name: self.scheduler.next_run(jobs.scan_id(p.name)) for p in settings.projects
            },
            running=set(self.queue.running),
            queued=set(self.queue.pending),
            advisory_records=info.records if info else 0,
            advisory_updated=info.updated if info else None,
            advisory_source=(info.source if info else settings.advisory_source),
            last_sync_at=sync_state.last_success_at if sync_state else None,
            next_runs=self.scheduler.next_runs(),
            version=__version__,
            channels=[c.name for c in settings.alert_channels],
            deliveries=store.delivery_counts(),
            give_up_after=settings.alerts.give_up_after,
        )

    def request_scan(self, name: str) -> str | None:
        """Queue an on-demand scan of `name` (None: no such project)."""
        if self.settings.project(name) is None:
            return None
        if self.state is not State.RUNNING:
            return "refused"
        return self.queue.offer(name, trigger="on-demand", last_attempt=None, on_demand=True)

    # -- lifecycle -------------------------------------------------------------------------------

    async def run(self) -> int:
        """Start, serve until told to stop (or, with `once`, until due work is done), stop."""
        loop = asyncio.get_running_loop()
        if self.install_signals and threading.current_thread() is threading.main_thread():
            with signals.capture(loop) as queue:
                return await self._run(queue)
        return await self._run(asyncio.Queue())

    async def _run(self, commands: asyncio.Queue[signal.Signals]) -> int:
        self._commands = commands
        try:
            await self.startup()
        except BaseException:
            await self.shutdown()
            raise
        try:
            if self.once:
                await self._run_once()
            else:
                await self._serve(commands)
        finally:
            await self.shutdown()
        return self._exit_code

    def request_stop(self) -> None:
        if self._commands is not None:
            self._commands.put_nowait(signal.SIGTERM)

    def request_reload(self) -> None:
        if self._commands is not None:
            self._commands.put_nowait(signal.SIGHUP)

    async def startup(self) -> None:
        settings = self.settings
        now = datetime.now(UTC)
        for warning in settings.warnings:
            logger.warning("%s", warning, extra={"action": "config_warning"})
        password = read_secret(
            what="daemon.store password", env=settings.store_password_env,
            file=settings.store_password_file,
        )  # fmt: skip
        self._store = await self._thread(
            Store.open, settings.store_url, password=password, apart=not self.once
        )
        store = self._store
        interrupted = await self._thread(
            store.interrupt_running, now, "the daemon stopped during the scan (found at start-up)"
        )
        if interrupted:
            logger.warning(
                "%d scan(s) were interrupted by an earlier stop; they run again now",
                len(interrupted), extra={"action": "runs_interrupted", "projects": interrupted},
            )  # fmt: skip
        await self._thread(store.ensure_projects, [(p.name, p.location) for p in settings.projects])
        states = await self._thread(store.project_states)
        self.attempts = {n: s.last_attempt_at for n, s in states.items() if s.last_attempt_at}
        self._token = self._read_token(settings)
        self.queue.paused = True
        loaded = await self._thread(self.advisories.open_existing)
        if not self.once:
            from depsentry.daemon.http.app import build_app
            from depsentry.daemon.http.server import EmbeddedServer

            self.http = EmbeddedServer(build_app(self), settings.listen_host, settings.listen_port)
            self.url = await self.http.start()
            logger.info(
                "listening on %s", self.url, extra={"action": "http_listening", "url": self.url}
            )
            self._write_runtime()
        self._counts = await self._thread(store.counts)
        self.metrics.set_findings(self._counts)
        self.metrics.projects.set(len(settings.projects))
        self.state = State.RUNNING
        if loaded:
            self.advisories_loaded()
        settle()
        if not self.once:
            from depsentry.daemon.relay import Relay

            self.relay = Relay(store, lambda: self.settings, metrics=self.metrics)
            self.spawn(self.relay.run(), "relay")
            await self._catch_up(now)
            # Only now: a schedule firing before the catch-up was offered would take its place.
            self.scheduler.start(await self._thread(jobs.specs, self))
            self.spawn(self._watchdog(), "watchdog")
            if settings.watch:
                watcher = ConfigWatcher(settings.config_path, settings.projects_dir)
                self.spawn(watcher.run(self.request_reload), "watch")
            self.notifier.ready(f"watching {len(settings.projects)} project(s)")
            logger.info(
                "depsentry daemon %s ready: %d project(s), concurrency %d", __version__,
                len(settings.projects), settings.concurrency,
                extra={"action": "ready", "projects": len(settings.projects)},
            )  # fmt: skip

    async def _serve(self, commands: asyncio.Queue[signal.Signals]) -> None:
        while True:
            sig = await commands.get()
            if sig == signal.SIGHUP:
                await self.reload()
                continue
            logger.info(
                "%s: stopping", sig.name, extra={"action": "stop_requested", "signal": sig.name}
            )
            self.spawn(self._second_signal(commands), "force")
            return

    async def _second_signal(self, commands: asyncio.Queue[signal.Signals]) -> None:
        while True:
            sig = await commands.get()
            if sig in (signal.SIGTERM, signal.SIGINT):
                logger.warning("second %s: not waiting for running scans", sig.name,
                               extra={"action": "stop_forced"})  # fmt: skip
                self._force.set()
                return

    async def _run_once(self) -> None:
        """Every due job once: the sync (or the first one), reviews, expiry, then due scans.
        With `only`, just those projects (syncing only when there is no database yet)."""
        now = datetime.now(UTC)
        store = self._store
        assert store is not None
        sync_state = (await self._thread(store.jobs)).get(jobs.SYNC)
        last_sync = sync_state.last_attempt_at if sync_state else None
        sync_due = self.settings.sync.is_due(last_sync, now, self.settings.timezone)
        if not self.advisories.loaded or (sync_due and not self.only):
            await self.run_sync()
        if not self.advisories.loaded:
            self._exit_code = 2
            logger.error("no advisory database: nothing can be scanned",
                         extra={"action": "no_advisory_db"})  # fmt: skip
            return
        self.queue.resume()
        if self.only:
            due = [(name, self.attempts.get(name), "on-demand") for name in self.only]
        else:
            for policy_ref, names in (await self._thread(jobs.review_groups, self)).items():
                if await self._thread(jobs.review_due, self, policy_ref, now):
                    await self.run_review(policy_ref, names)
            await self._thread(jobs.expire, self)
            due = await self._thread(jobs.due_projects, self, now)
        for name, last_attempt, trigger in due:
            self.queue.offer(name, trigger=trigger, last_attempt=last_attempt)
        await self.queue.join()
        failed = [s for s in self.summaries if s.result != "ok"]
        logger.info(
            "once: %d scan(s), %d failed", len(self.summaries), len(failed),
            extra={"action": "once_done", "scans": len(self.summaries), "failed": len(failed)},
        )  # fmt: skip

    async def shutdown(self) -> None:
        if self.state is State.STOPPED:
            return
        was_running = self.state is State.RUNNING
        self.state = State.STOPPING
        if self._force.is_set():
            self._stopping.set()
        if was_running and not self.once:
            self.notifier.stopping()
        self.scheduler.shutdown()
        dropped = self.queue.close()
        if dropped:
            logger.info("%d queued scan(s) dropped", dropped, extra={"action": "queue_dropped"})
        await self._drain()
        if self.workers is not None:
            await self._thread(self.workers.close)
        if self._store is not None:
            with suppress(DepsentryError):
                await self._thread(self._store.interrupt_running, datetime.now(UTC),
                                   "the daemon stopped during the scan")  # fmt: skip
        for task in list(self._side):
            task.cancel()
        await asyncio.gather(*self._side, return_exceptions=True)
        if self.http is not None:
            await self.http.stop()
        self._remove_runtime()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._store is not None:
            self._store.close()
        self.state = State.STOPPED
        logger.info("stopped", extra={"action": "stopped"})

    async def _drain(self) -> None:
        tasks = self.queue.tasks() | {t for t in self._side if t.get_name() in ("sync", "review")}
        if not tasks:
            return
        deadline = self.settings.drain_timeout
        logger.info(
            "waiting up to %.0fs for %d running job(s)", deadline, len(tasks),
            extra={"action": "drain", "jobs": len(tasks)},
        )  # fmt: skip
        finished = asyncio.ensure_future(asyncio.wait(tasks))
        forced = asyncio.ensure_future(self._force.wait())
        await asyncio.wait(
            [finished, forced], timeout=deadline, return_when=asyncio.FIRST_COMPLETED
        )
        finished.cancel()
        forced.cancel()
        left = [t for t in tasks if not t.done()]
        if left:
            why = (
                "a second signal"
                if self._force.is_set()
                else f"the drain timeout of {deadline:.0f}s"
            )
            logger.warning(
                "stopping %d running job(s) after %s", len(left), why,
                extra={"action": "drain_timeout", "jobs": len(left)},
            )  # fmt: skip
            self._stopping.set()  # scans stop at their next step and record themselves interrupted
            await asyncio.wait(left, timeout=5.0)

    def stuck_threads(self) -> int:
        """Worker threads still busy after shutdown (e.g. a read that never returns)."""
        return sum(1 for t in threading.enumerate() if t.name.startswith("scan") and t.is_alive())

    # -- reload ----------------------------------------------------------------------------------

    async def reload(self) -> bool:
        """Load the config again; keep the old one when the new one is bad."""
        self.notifier.reloading()
        old = self.settings
        try:
            new = await self._thread(load_settings, old.config_path)
            token = self._read_token(new)
        except DepsentryError as exc:
            for line in str(exc).splitlines():
                logger.error("reload rejected, keeping the running config: %s", line,
                             extra={"action": "reload_rejected"})  # fmt: skip
            self.metrics.reloads.labels("error").inc()
            self.notifier.ready("reload rejected: see the log")
            return False
        fixed = ("state_dir", "store_url", "listen_host", "listen_port", "store_password_env",
                 "store_password_file", "workers")  # fmt: skip
        changed = [k for k in fixed if getattr(new, k) != getattr(old, k)]
        if changed:
            logger.warning("reload: %s only change with a restart; keeping the running values",
                           ", ".join(changed), extra={"action": "reload_needs_restart"})  # fmt: skip
            new = replace(new, **{k: getattr(old, k) for k in fixed})
        self.settings = new  # one assignment: everything reads the new config from here on
        self._token = token
        self.queue.concurrency = new.concurrency
        self.advisories.source = new.advisory_source
        self.advisories.offline = new.offline
        self.advisories.embedded_fallback = new.embedded_fallback
        assert self._store is not None
        await self._thread(
            self._store.ensure_projects, [(p.name, p.location) for p in new.projects]
        )
        added, changed_jobs, removed = self.scheduler.apply(await self._thread(jobs.specs, self))
        self.metrics.projects.set(len(new.projects))
        self.metrics.reloads.labels("ok").inc()
        if new.advisory_source != old.advisory_source:
            self.spawn(self.run_sync(), "sync")
        await self._catch_up(datetime.now(UTC))
        if self.relay is not None:
            self.relay.wake()  # new routes get their baseline
        logger.info(
            "reloaded: %d project(s); jobs %d added, %d changed, %d removed", len(new.projects),
            added, changed_jobs, removed, extra={"action": "reloaded"},
        )  # fmt: skip
        self.notifier.ready(f"watching {len(new.projects)} project(s)")
        return True

    # -- work ------------------------------------------------------------------------------------

    async def _catch_up(self, now: datetime) -> None:
        """Offer what fell due while the daemon was down (or never ran), judged from the store."""
        assert self._store is not None
        states = await self._thread(self._store.jobs)
        sync_state = states.get(jobs.SYNC)
        last_sync = sync_state.last_attempt_at if sync_state else None
        if (
            not self.advisories.loaded
            or self.settings.sync.is_due(last_sync, now, self.settings.timezone)
        ) and not any(t.get_name() == "sync" for t in self._side):
            self.spawn(self.run_sync(), "sync")
        for policy_ref, names in (await self._thread(jobs.review_groups, self)).items():
            if await self._thread(jobs.review_due, self, policy_ref, now):
                self.spawn(self.run_review(policy_ref, names), "review")
        for name, last_attempt, trigger in await self._thread(jobs.due_projects, self, now):
            self.queue.offer(name, trigger=trigger, last_attempt=last_attempt)

    def offer_scheduled(self, name: str) -> None:
        """A project's schedule fired."""
        if self.state is State.RUNNING:
            self.queue.offer(name, trigger="schedule", last_attempt=self.attempts.get(name))

    async def _scan(self, offer: Offer) -> None:
        project, store = self.settings.project(offer.name), self._store
        if project is None or store is None:
            return  # removed by a reload while it waited
        cancel = Cancel(self._stopping, time.monotonic() + self.settings.scan_timeout)
        async with self.lock(offer.name):
            # Read under the lock, after the attempt: a re-match skips a project whose scan
            # started after the database it brings (jobs.sync_and_rematch).
            self.attempts[offer.name] = datetime.now(UTC)
            source = self.advisories.current
            if source is None:
                return
            pool = self.workers if not self.advisories.embedded else None
            summary = await asyncio.get_running_loop().run_in_executor(
                self._executor,
                lambda: scan_project(
                    project, self.settings, store, [source], trigger=offer.trigger,
                    cancel=cancel, timeout=self.settings.scan_timeout,
                    engine=pool.scan if pool is not None else None,
                ),
            )  # fmt: skip
        if self.once:
            self.summaries.append(summary)
        self.metrics.scans.labels(summary.result).inc()
        self.metrics.scan_duration.observe(summary.duration)
        if summary.result == "ok":
            self.metrics.last_scan_success.set(time.time())
            self._counts_changed()
            if self.relay is not None:
                self.relay.wake()  # its outbox event goes out now, not at the next recount
        level = logging.INFO if summary.result == "ok" else logging.WARNING
        logger.log(
            level, "scan %s %s in %.2fs%s", offer.name, summary.result, summary.duration,
            f": {summary.error}" if summary.error else f", {summary.changes} change(s)",
            extra={
                "action": "scan_finished", "project": offer.name, "result": summary.result,
                "trigger": offer.trigger, "duration": round(summary.duration, 3),
                "run_id": summary.run_id, "changes": summary.changes,
                "findings": summary.findings,
                **({"error": summary.error} if summary.error else {}),
            },
        )  # fmt: skip

    async def run_sync(self) -> None:
        """Sync the advisory database; re-match every project when it changed."""
        await jobs.sync_and_rematch(self)

    async def run_review(self, policy_ref: str, names: list[str]) -> None:
        await jobs.review(self, policy_ref, names)

    def side_tasks(self) -> set[asyncio.Task[Any]]:
        return set(self._side)

    def lock(self, name: str) -> asyncio.Lock:
        """The project's lock: one scan or re-match of a project at a time."""
        return self._locks.setdefault(name, asyncio.Lock())

    def advisories_loaded(self) -> None:
        """The advisory database is (newly) in use: scans may run."""
        self._record_advisories()
        if self.workers is not None:
            self.workers.swapped()
        info = self.advisories.info()
        logger.info("advisory database loaded: %d records", info.records if info else 0,
                    extra={"action": "advisory_loaded"})  # fmt: skip
        if self.state is State.RUNNING:
            self.queue.resume()

    def schedule_sync_retry(self) -> None:
        if self.once or self.state is not State.RUNNING:
            return
        when = self.sync_retry_at()

        async def retry() -> None:
            if not any(t.get_name() == "sync" for t in self._side):
                self.spawn(self.run_sync(), "sync")

        self.scheduler.run_once_at("sync-retry", when, retry, "advisory sync (retry)")

    async def refresh(self) -> None:
        await self._refresh_counts()

    async def _refresh_counts(self) -> None:
        if self._store is not None:
            self._counts = await self._thread(self._store.counts)
            self.metrics.set_findings(self._counts)
            self.metrics.outbox_pending.set(await self._thread(self._store.outbox_depth))
        if self.relay is not None:
            self.relay.wake()  # scans, re-matches, reviews and expiry all end here

    def _counts_changed(self) -> None:
        # Counting every finding after each of a thousand scans made a round quadratic:
        # recount at most every COUNTS_EVERY seconds while busy, and at once when idle.
        self._counts_dirty = True
        if self._counts_task is None or self._counts_task.done():
            self._counts_task = self.spawn(self._recount(), "counts")

    async def _recount(self) -> None:
        while self._counts_dirty:
            self._counts_dirty = False
            await self._refresh_counts()
            if self.queue.in_flight or self.queue.depth:
                await asyncio.sleep(COUNTS_EVERY)

    def trim_when_idle(self) -> None:
        """Give memory back once the queue has been empty for TRIM_AFTER seconds."""
        if self._trim_task is None or self._trim_task.done():
            self._trim_task = self.spawn(self._trim(), "trim")

    async def _trim(self) -> None:
        await asyncio.sleep(TRIM_AFTER)
        if self.queue.in_flight or self.queue.depth or self.state is not State.RUNNING:
            return
        if self.workers is not None:
            await self._thread(self.workers.stop_idle)  # their memory goes with them
        if self._store is not None:
            await self._thread(self._store.release_connections)
        source = self.advisories.current
        await self._thread(release_memory, source)

    def _record_advisories(self) -> None:
        info = self.advisories.info()
        if info is not None:
            self.metrics.advisory_records.set(info.records)

    def _queue_changed(self) -> None:
        self.metrics.queue_depth.set(self.queue.depth)
        self.metrics.in_flight.set(self.queue.in_flight)
        if not self.queue.depth and not self.queue.in_flight and self.state is State.RUNNING:
            self.trim_when_idle()

    # -- helpers ---------------------------------------------------------------------------------

    async def _thread(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(func, *args, **kwargs)

    def spawn(
        self, coro: Coroutine[Any, Any, Any] | Awaitable[Any], name: str
    ) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._side.add(task)
        task.add_done_callback(self._side_done)
        return task

    def _side_done(self, task: asyncio.Task[Any]) -> None:
        self._side.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("%s task failed: %s", task.get_name(), exc, exc_info=exc,
                         extra={"action": "task_failed", "task": task.get_name()})  # fmt: skip
            if task.get_name() in ("watchdog", "watch", "relay"):
                self._exit_code = 1  # a side task died: exit non-zero for systemd to restart
                self.request_stop()

    async def _watchdog(self) -> None:
        interval = watchdog_interval()
        if interval is None or not self.notifier.enabled:
            return
        while True:
            self.notifier.watchdog()  # pinged from the loop: a stuck loop stops the pings
            await asyncio.sleep(interval)

    def _read_token(self, settings: Settings) -> str | None:
        return read_secret(
            what="API token", file=settings.token_file, credential=settings.token_credential
        )

    def _write_runtime(self) -> None:
        path = self.settings.state_dir / RUNTIME_FILE
        data = {"pid": os.getpid(), "url": self.url, "version": __version__,
                "started_at": datetime.now(UTC).isoformat()}  # fmt: skip
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, path)

    def _remove_runtime(self) -> None:
        if self.url is None:
            return
        with suppress(OSError):
            data = json.loads((self.settings.state_dir / RUNTIME_FILE).read_text(encoding="utf-8"))
            if data.get("pid") == os.getpid():
                (self.settings.state_dir / RUNTIME_FILE).unlink()

    def sync_retry_at(self) -> datetime:
        return datetime.now(UTC) + min(timedelta(minutes=5), self.settings.sync.period(
            self.settings.timezone, datetime.now(UTC)))  # fmt: skip
