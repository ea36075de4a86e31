"""One project's scan in the daemon (run in a worker thread): check it out, call the engine,
and record the outcome; a failing project records its error and never raises.

The attempt is recorded before any work, so a crash mid-scan leaves a `running` run that the
next start marks interrupted and scans again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from depsentry.advisories.interface import AdvisorySource
from depsentry.codemods.upgrades import codemods_for
from depsentry.daemon.checkout import Interrupted, checkout
from depsentry.daemon.events import Event
from depsentry.daemon.settings import ProjectSettings, Settings
from depsentry.daemon.store import KINDS, Store
from depsentry.errors import DepsentryError
from depsentry.models import ProjectReport
from depsentry.scan import ScanOptions, match_dependencies, run_scan

__all__ = [
    "Cancel",
    "Engine",
    "ScanRequest",
    "ScanSummary",
    "WorkerError",
    "rematch_projects",
    "scan_engine",
    "scan_project",
]

logger = logging.getLogger(__name__)


class Cancel:
    """Why a running scan should stop: the daemon is stopping, or the scan ran out of time."""

    def __init__(self, stopping: threading.Event, deadline: float | None = None):
        self.stopping = stopping
        self.deadline = deadline

    def check(self) -> None:
        if self.stopping.is_set():
            raise Interrupted("stopping")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeoutError

    def remaining(self) -> float:
        return 3600.0 if self.deadline is None else max(self.deadline - time.monotonic(), 0.1)


@dataclass(frozen=True, slots=True)
class ScanSummary:
    project: str
    run_id: int
    result: str  # ok | failed | interrupted
    duration: float
    error: str | None = None
    changes: int = 0
    event: Event | None = None
    findings: int = 0


def _one_line(text: str, root: Path | None) -> str:
    line = " ".join(text.split())
    if root is not None:
        line = line.replace(f"{root}/", "").replace(str(root), ".")
    return line[:500]


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What the engine needs for one project's scan (picklable: workers get it whole)."""

    project: ProjectSettings
    now: datetime
    known: dict[str, datetime]  # first-seen dates of the project's findings
    seconds: float = 3600.0  # left of the scan's timeout: a worker's own engine stops there


class WorkerError(Exception):
    """The scan's worker process failed without a message of ours (`name`: what it raised)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


Engine = Callable[[ScanRequest, Cancel], ProjectReport]


def scan_engine(
    request: ScanRequest, settings: Settings, sources: Sequence[AdvisorySource], cancel: Cancel
) -> ProjectReport:
    """Check out and scan one project: the work a worker process does. A project error is
    `report.error`, one line; DepsentryError (one line, paths shown relative) otherwise."""
    project, now = request.project, request.now
    root: Path | None = None
    try:
        if project.git is not None:
            clone = settings.clones_dir / project.name
            root = checkout(project.git, clone, cancel=cancel.stopping, timeout=cancel.remaining())
            shown_root: Path | None = clone
        else:
            assert project.path is not None
            root, shown_root = project.path, None

        def progress(stage: str, done: int, total: int) -> None:
            cancel.check()  # the engine reports between steps: a stop or a timeout ends it there

        options = ScanOptions(
            paths=[root],
            offline=settings.offline,
            outdated=project.outdated,
            policy=project.policy,
            evaluate_policy=True,
            index_url=settings.index_url,
            extra_index_urls=settings.extra_index_urls,
            allow_embedded=False,
            now=now,
            first_seen=request.known.get,
            exclude=project.excludes,
            one_project=True,  # one configured entry is one project in the store
            own_excludes=False,  # the operator's `excludes` decide, not the repository
            codemod_hints=codemods_for,
        )
        report = run_scan(options, progress, sources=sources).projects[0]
    except DepsentryError as exc:
        raise DepsentryError(_one_line(str(exc), root)) from exc
    if report.error is not None:
        report.error = _one_line(report.error, shown_root or root)
    return report


def scan_project(
    project: ProjectSettings,
    settings: Settings,
    store: Store,
    sources: Sequence[AdvisorySource],
    *,
    trigger: str,
    cancel: Cancel,
    timeout: float,
    engine: Engine | None = None,
) -> ScanSummary:
    """Scan `project` once (in this thread, or through `engine`: a worker process) and record
    it; return what happened."""
    started = time.monotonic()
    now = datetime.now(UTC)
    run_id, known = store.start_scan(project.name, project.location, trigger, now)
    try:
        cancel.check()
        request = ScanRequest(project, now, known, cancel.remaining())
        if engine is None:
            report = scan_engine(request, settings, sources, cancel)
        else:
            report = engine(request, cancel)
        cancel.check()  # a stop that came during the scan: record nothing half-way
        duration = time.monotonic() - started
        if report.error is not None:
            store.record_failure(
                project.name, run_id, report.error, now=datetime.now(UTC), duration=duration
            )
            return ScanSummary(project.name, run_id, "failed", duration, report.error)
        kinds = tuple(k for k in KINDS if k != "update" or project.outdated)
        outcome = store.record_scan(
            project.name, run_id, report, now=datetime.now(UTC), duration=duration, kinds=kinds,
            known=known.keys(),
        )  # fmt: skip
        found = len(report.vulnerabilities) + len(report.outdated) + len(report.violations)
        return ScanSummary(
            project.name, run_id, "ok", duration, None, len(outcome.changes), outcome.event, found
        )
    except Interrupted:
        return _failed(
            store, project, run_id, started, "interrupted", "the daemon stopped during the scan"
        )
    except TimeoutError:
        return _failed(
            store,
            project,
            run_id,
            started,
            "failed",
            f"timed out after {timeout:.0f}s (daemon.scan_timeout)",
        )
    except DepsentryError as exc:
        return _failed(store, project, run_id, started, "failed", str(exc))
    except Exception as exc:
        name = exc.name if isinstance(exc, WorkerError) else type(exc).__name__
        if not isinstance(exc, WorkerError):
            logger.exception(
                "scan of %s failed unexpectedly",
                project.name,
                extra={"action": "scan_error", "project": project.name},
            )
        return _failed(store, project, run_id, started, "failed", f"internal error: {name}")


def _failed(
    store: Store, project: ProjectSettings, run_id: int, started: float, result: str, error: str
) -> ScanSummary:
    duration = time.monotonic() - started
    store.record_failure(
        project.name, run_id, error, now=datetime.now(UTC), duration=duration, result=result
    )
    return ScanSummary(project.name, run_id, result, duration, error)


def rematch_projects(
    names: Sequence[str],
    store: Store,
    sources: Sequence[AdvisorySource],
    packages: Collection[str] | None = None,
) -> list[ScanSummary]:
    """Match the stored dependency sets of `names` against `sources` again (no files, no
    clone), written in one transaction; with `packages` (those whose advisories changed), only
    the pins of those packages. A project never scanned is left to its first scan."""
    started = time.monotonic()
    stored = store.dependencies_of(names)
    work = []
    for name in names:
        deps = stored.get(name)
        if deps is None:
            continue
        pins = deps if packages is None else [d for d in deps if d.name in packages]
        work.append((name, match_dependencies(pins, sources, codemods_for), deps))
    outcomes = store.rematch_many(work, now=datetime.now(UTC), packages=packages)
    took = time.monotonic() - started
    return [
        ScanSummary(name, 0, "ok", took, None, len(o.changes), o.event, len(vulns))
        for (name, vulns, _), o in zip(work, outcomes, strict=True)
    ]
