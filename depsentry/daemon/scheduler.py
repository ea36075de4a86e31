"""APScheduler 3.11 (AsyncIOScheduler, memory job store), rebuilt from the config at start and
reconciled by diff on reload. A job only hands work to the service; what must survive a
restart (last attempts) lives in the store, and catch-up is judged from there.

Every job runs with `coalesce=True` and `max_instances=1`; trouble (errors, misses, overlaps)
becomes a log line and a metric through one listener that never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from depsentry.daemon.metrics import Metrics

__all__ = ["JobSpec", "Scheduler", "review_trigger"]

logger = logging.getLogger(__name__)

_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EVENTS = {
    EVENT_JOB_ERROR: "error",
    EVENT_JOB_MISSED: "missed",
    EVENT_JOB_MAX_INSTANCES: "max_instances",
}


@dataclass(frozen=True)
class JobSpec:
    """One recurring job: `key` says when two specs schedule the same thing."""

    id: str
    description: str
    key: tuple[Any, ...]
    trigger: Callable[[], BaseTrigger] = field(compare=False)
    func: Callable[[], Awaitable[None]] = field(compare=False)


def review_trigger(policy: Any) -> CronTrigger:
    """The policy's review schedule as a cron trigger ("first monday" is `day='1st mon'`)."""
    from depsentry.policy.schedule import parse_day

    review = policy.review
    n, weekday = parse_day(review.day)
    spec: dict[str, str] = {"hour": str(review.time.hour), "minute": str(review.time.minute)}
    if review.every == "week" or n == 0:
        assert weekday is not None
        spec["day_of_week"] = _WEEKDAYS[weekday]
    elif weekday is None:
        spec["day"] = str(n)
    else:
        spec["day"] = f"{_ORDINALS[n]} {_WEEKDAYS[weekday]}"
    if review.every == "quarter":
        spec["month"] = "1,4,7,10"
    return CronTrigger(timezone=ZoneInfo(review.timezone), **spec)


class Scheduler:
    """The one scheduler of the process."""

    def __init__(self, metrics: Metrics, timezone: str):
        self.metrics = metrics
        self._specs: dict[str, JobSpec] = {}
        self._scheduler = AsyncIOScheduler(
            timezone=ZoneInfo(timezone),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self._scheduler.add_listener(
            self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self, specs: list[JobSpec]) -> None:
        self._scheduler.start()
        self.apply(specs)

    def apply(self, specs: list[JobSpec]) -> tuple[int, int, int]:
        """Add, replace and remove jobs so that exactly `specs` are scheduled."""
        wanted = {s.id: s for s in specs}
        removed = [job_id for job_id in self._specs if job_id not in wanted]
        for job_id in removed:
            self._scheduler.remove_job(job_id)
            del self._specs[job_id]
        added = changed = 0
        for spec in wanted.values():
            old = self._specs.get(spec.id)
            if old is not None and old.key == spec.key:
                continue
            self._scheduler.add_job(
                spec.func, trigger=spec.trigger(), id=spec.id, name=spec.description,
                replace_existing=True,
            )  # fmt: skip
            self._specs[spec.id] = spec
            added, changed = (added + 1, changed) if old is None else (added, changed + 1)
        return added, changed, len(removed)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return getattr(job, "next_run_time", None) if job is not None else None

    def next_runs(self) -> list[tuple[str, datetime]]:
        """(description, when) of every scheduled job, soonest first."""
        runs = [
            (job.name, job.next_run_time)
            for job in self._scheduler.get_jobs()
            if job.next_run_time is not None
        ]
        return sorted(runs, key=lambda item: item[1])

    def run_once_at(
        self, job_id: str, when: datetime, func: Callable[[], Awaitable[None]], description: str
    ) -> None:
        """A one-off job (e.g. retrying a failed sync)."""
        self._scheduler.add_job(func, trigger="date", run_date=when, id=job_id, name=description,
                                replace_existing=True)  # fmt: skip

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def _on_event(self, event: JobEvent) -> None:
        try:
            kind = _EVENTS.get(event.code, "error")
            self.metrics.scheduler_events.labels(kind).inc()
            logger.warning(
                "scheduler: job %s %s", event.job_id, kind.replace("_", " "),
                extra={"action": f"job_{kind}", "job": event.job_id},
            )  # fmt: skip
        except Exception:  # a listener that raises would only be logged by APScheduler
            logger.exception("scheduler listener failed")
