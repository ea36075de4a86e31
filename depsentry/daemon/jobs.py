"""The daemon's recurring work and when it is due: a scan per project, the advisory sync (with
the re-match of every stored dependency set it triggers), the policy reviews, and snooze expiry.

Due-ness after downtime is judged from the store's last attempts (never from APScheduler's
misfire grace): a run that fell due while the daemon was down happens once, at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from depsentry.daemon.scanning import rematch_projects
from depsentry.daemon.schedule import Schedule
from depsentry.daemon.scheduler import JobSpec, review_trigger
from depsentry.daemon.store.outbox import uuid7
from depsentry.errors import DepsentryError

if TYPE_CHECKING:
    from depsentry.daemon.service import Service
    from depsentry.policy import Policy

__all__ = [
    "EXPIRY",
    "SYNC",
    "due_projects",
    "expire",
    "review",
    "review_due",
    "review_groups",
    "scan_id",
    "specs",
    "sync_and_rematch",
]

logger = logging.getLogger(__name__)

_Job = Callable[[], Awaitable[None]]

SYNC = "sync"
EXPIRY = "expiry"
REMATCH_CHUNK = 50  # projects re-matched per transaction (and per project lock held at once)
MAX_INTERRUPTED = 3  # a project whose scans keep dying with the daemon is not retried forever


def scan_id(name: str) -> str:
    return f"scan:{name}"


def review_id(ref: str) -> str:
    return f"review:{ref}"


def specs(service: Service) -> list[JobSpec]:
    """Every job the current settings ask for (blocking: reads the store and policy files)."""
    settings = service.settings
    tz = settings.timezone
    now = datetime.now(UTC)
    out: list[JobSpec] = []
    for project in settings.projects:
        jitter = project.jitter
        if jitter is None:
            jitter = project.schedule.default_jitter(tz, now)
        schedule, name = project.schedule, project.name

        def fire(name: str = name) -> _Job:
            async def job() -> None:
                service.offer_scheduled(name)

            return job

        last = service.attempts.get(name)

        def trigger(
            s: Schedule = schedule, j: float = jitter, a: datetime | None = last
        ) -> BaseTrigger:
            return s.trigger(tz, jitter=j, last_attempt=a)

        out.append(
            JobSpec(scan_id(name), f"scan {name}", (schedule.text, tz, jitter), trigger, fire())
        )
    sync_last = _job_attempt(service, SYNC)

    async def sync_job() -> None:
        if not any(t.get_name() == "sync" for t in service.side_tasks()):
            service.spawn(service.run_sync(), "sync")

    out.append(
        JobSpec(
            SYNC, "advisory sync", (settings.sync.text, tz),
            trigger=lambda: settings.sync.trigger(tz, last_attempt=sync_last), func=sync_job,
        )
    )  # fmt: skip
    for ref in review_groups(service):
        policy = _policy(ref)
        if policy is None:
            continue

        def review_job(ref: str = ref) -> _Job:
            async def job() -> None:
                groups = await asyncio.to_thread(review_groups, service)
                service.spawn(service.run_review(ref, groups.get(ref, [])), "review")

            return job

        def when(p: Policy = policy) -> BaseTrigger:
            return review_trigger(p)

        key = (ref, policy.review)
        out.append(JobSpec(review_id(ref), f"review ({policy.name})", key, when, review_job()))

    async def expiry_job() -> None:
        await asyncio.to_thread(expire, service)

    out.append(JobSpec(EXPIRY, "snooze expiry", ("60s",),
                       trigger=lambda: IntervalTrigger(seconds=60), func=expiry_job))  # fmt: skip
    return out


def _job_attempt(service: Service, job_id: str) -> datetime | None:
    assert service.store is not None
    state = service.store.jobs().get(job_id)
    return state.last_attempt_at if state else None


def due_projects(service: Service, now: datetime) -> list[tuple[str, datetime | None, str]]:
    """(name, last attempt, trigger) of every project due now: never scanned, interrupted by a
    stop (at most MAX_INTERRUPTED times in a row), or scheduled since its last attempt."""
    assert service.store is not None
    states = service.store.project_states()
    tz = service.settings.timezone
    due: list[tuple[str, datetime | None, str]] = []
    for project in service.settings.projects:
        state = states.get(project.name)
        last = state.last_attempt_at if state else None
        if last is None:
            due.append((project.name, None, "first"))
        elif (
            state is not None
            and state.last_result == "interrupted"
            and state.interrupted_streak <= MAX_INTERRUPTED
            or project.schedule.is_due(last, now, tz)
        ):
            due.append((project.name, last, "catch-up"))
    return due


def _policy(ref: str) -> Policy | None:
    from depsentry.policy import load_policy

    try:
        return load_policy(ref)
    except DepsentryError as exc:
        logger.warning("policy %s: %s", ref, exc, extra={"action": "policy_unusable"})
        return None


def review_groups(service: Service) -> dict[str, list[str]]:
    """Projects by the policy that reviews them: the config's, else the project's own
    ([tool.depsentry], learnt at its last scan), else the default."""
    from depsentry.policy import DEFAULT_POLICY

    assert service.store is not None
    states = service.store.project_states()
    groups: dict[str, list[str]] = defaultdict(list)
    for project in service.settings.projects:
        state = states.get(project.name)
        ref = project.policy or (state.policy if state else None) or DEFAULT_POLICY
        groups[ref].append(project.name)
    return dict(groups)


def review_due(service: Service, ref: str, now: datetime) -> bool:
    """Whether a review of `ref` fell due since its last attempt. The first time a policy is
    seen only starts its clock: a new daemon does not send a digest at once."""
    from depsentry.policy import previous_review

    assert service.store is not None
    last = _job_attempt(service, review_id(ref))
    if last is None:
        service.store.record_job(review_id(ref), now, result="running")
        return False
    policy = _policy(ref)
    return policy is not None and previous_review(policy, now) > last


async def review(service: Service, ref: str, names: list[str]) -> None:
    """Write each project's review digest to the outbox."""
    store = service.store
    assert store is not None
    now = datetime.now(UTC)
    job = review_id(ref)
    state = (await asyncio.to_thread(store.jobs)).get(job)
    since = state.last_success_at if state else None
    await asyncio.to_thread(store.record_job, job, now, result="running")
    written = 0
    present = [name for name in names if service.settings.project(name) is not None]
    # The relay folds one review's digests into a fleet digest per channel: it waits until
    # all `count` of them are in the outbox.
    extra = {"policy": ref, "review": uuid7(), "count": len(present)}
    for name in present:
        await asyncio.to_thread(store.write_digest, name, now, since=since, extra=extra)
        written += 1
    await asyncio.to_thread(store.record_job, job, now, result="ok", info={"digests": written})
    await service.refresh()
    logger.info("review %s: %d digest(s) written", ref, written,
                extra={"action": "review_done", "policy": ref, "digests": written})  # fmt: skip


def expire(service: Service) -> int:
    """Reopen expired snoozes (blocking); how many projects got an EXPIRY event."""
    assert service.store is not None
    events = service.store.expire_snoozes(datetime.now(UTC))
    if events and service.relay is not None:
        service.relay.wake()
    for event in events:
        logger.info("%s: %d snooze(s) expired", event.project, len(event.changes),
                    extra={"action": "snooze_expired", "project": event.project})  # fmt: skip
    return len(events)


async def sync_and_rematch(service: Service) -> None:
    """Sync the advisory database; when it changed, re-match every stored dependency set."""
    store = service.store
    assert store is not None
    now = datetime.now(UTC)
    await asyncio.to_thread(store.record_job, SYNC, now, result="running")
    started = time.monotonic()
    try:
        outcome = await asyncio.to_thread(service.advisories.sync)
    except DepsentryError as exc:
        service.metrics.syncs.labels("error").inc()
        await asyncio.to_thread(
            store.record_job, SYNC, datetime.now(UTC), result="failed", error=str(exc)
        )
        logger.error("advisory sync failed: %s", exc, extra={"action": "sync_failed"})
        if await asyncio.to_thread(service.advisories.use_embedded):
            service.advisories_loaded()
        service.schedule_sync_retry()
        return
    service.metrics.syncs.labels("ok").inc()
    service.metrics.last_sync_success.set(time.time())
    service.advisories_loaded()
    swapped_at = datetime.now(UTC)  # a scan attempted from here on matched the new database
    rematched = changes = 0
    rematch_seconds = 0.0
    if outcome.changed:
        source = service.advisories.current
        assert source is not None
        began = time.monotonic()
        names = [p.name for p in service.settings.projects]
        if outcome.packages is not None:
            using = await asyncio.to_thread(store.projects_using, outcome.packages)
            names = [n for n in names if n in using]
        for start in range(0, len(names), REMATCH_CHUNK):
            async with contextlib.AsyncExitStack() as held:
                chunk = []
                for name in names[start : start + REMATCH_CHUNK]:
                    await held.enter_async_context(service.lock(name))
                    attempt = service.attempts.get(name)
                    if attempt is None or attempt < swapped_at:
                        chunk.append(name)  # else scanned since, against the new database
                summaries = await asyncio.to_thread(
                    rematch_projects, chunk, store, [source], outcome.packages
                )
            rematched += len(summaries)
            changes += sum(s.changes for s in summaries)
        rematch_seconds = time.monotonic() - began
        service.metrics.rematch_duration.observe(rematch_seconds)
        await service.refresh()
        service.trim_when_idle()  # the re-match filled the matcher's caches
    info = {"records": outcome.records, "imported": outcome.imported, "removed": outcome.removed,
            "rematched": rematched, "changes": changes}  # fmt: skip
    await asyncio.to_thread(store.record_job, SYNC, datetime.now(UTC), result="ok", info=info)
    logger.info(
        "advisory sync: %d records (%d imported, %d removed)%s in %.2fs", outcome.records,
        outcome.imported, outcome.removed,
        f"; re-matched {rematched} project(s) in {rematch_seconds:.2f}s, {changes} change(s)"
        if outcome.changed else "",
        time.monotonic() - started,
        extra={"action": "sync_done", **info, "rematch_seconds": round(rematch_seconds, 3)},
    )  # fmt: skip
