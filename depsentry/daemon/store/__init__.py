"""The daemon's store: every operation the service, the HTTP API and the CLI need, each one
transaction (SQLAlchemy Core; SQLite WAL by default, PostgreSQL by URL).

Only this package imports SQLAlchemy. Finding changes and their outbox events are written by
the same transaction, so an alert is never lost nor sent for a change that was rolled back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from depsentry.daemon.events import Change, ChangeKind, Event, EventKind, ProjectDigest
from depsentry.daemon.store import deliveries, outbox, queries, runs, triage
from depsentry.daemon.store.aliases import GroupCache, Learning
from depsentry.daemon.store.batch import GroupCommit
from depsentry.daemon.store.deliveries import Delivery, Routed
from depsentry.daemon.store.desired import (
    KINDS,
    dev_only_pins,
    from_outdated,
    from_violations,
    from_vulnerabilities,
)
from depsentry.daemon.store.engine import connect, migrate, migrate_apart, writing
from depsentry.daemon.store.findings import reconcile
from depsentry.daemon.store.outbox import Pending, uuid7
from depsentry.daemon.store.queries import STATES, FindingFilter, FindingRecord
from depsentry.daemon.store.runs import JobState, ProjectState, RunRecord
from depsentry.daemon.store.schema import jobs, projects
from depsentry.daemon.store.triage import DISMISS_REASONS
from depsentry.errors import StoreError, TriageError
from depsentry.models import Dependency, ProjectReport, Vulnerability

__all__ = [
    "DISMISS_REASONS",
    "KINDS",
    "Delivery",
    "Routed",
    "STATES",
    "FindingFilter",
    "FindingRecord",
    "JobState",
    "Pending",
    "ProjectState",
    "RunRecord",
    "ScanOutcome",
    "Store",
]

logger = logging.getLogger(__name__)


def _all_new(changes: Sequence[Change]) -> bool:
    return all(c.kind in (ChangeKind.NEW, ChangeKind.OVERDUE) for c in changes)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What recording a scan did: its changes and the outbox event written for them (if any)."""

    changes: tuple[Change, ...]
    event: Event | None


class Store:
    """One open store. Thread-safe: each call is its own connection and transaction."""

    def __init__(self, engine: Engine, where: str):
        self.engine = engine
        self.where = where
        self._groups = GroupCache()
        self._batch = GroupCommit(engine)

    @classmethod
    def open(cls, url: str, *, password: str | None = None, apart: bool = False) -> Store:
        """Open (creating or migrating) the store at `url`; StoreError if it cannot be used.
        `apart`: migrate in a child process (the daemon: Alembic stays out of its memory)."""
        engine = connect(url, password)
        where = engine.url.render_as_string(hide_password=True)
        try:
            if apart:
                migrate_apart(url, password, where)
            else:
                migrate(engine, where)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, where)

    def close(self) -> None:
        from depsentry.daemon.store.engine import forget

        forget(self.engine)
        self.engine.dispose()

    def release_connections(self) -> None:
        """Close the pooled connections no one holds (idle: each keeps its own page cache);
        the next call opens what it needs."""
        self.engine.dispose(close=True)

    def check_writable(self, now: datetime) -> None:
        """A real write (the readiness probe's): StoreError when the store cannot take one."""
        try:
            with writing(self.engine) as conn:
                runs.record_job(conn, "readyz", now, result="running")
        except DBAPIError as exc:
            raise StoreError(f"store not writable ({type(exc.orig).__name__})", self.where) from exc

    # -- projects and runs -------------------------------------------------------------------

    def ensure_projects(self, located: Sequence[tuple[str, str]]) -> None:
        with writing(self.engine) as conn:
            for name, location in located:
                runs.ensure_project(conn, name, location)

    def project_states(self) -> dict[str, ProjectState]:
        with self.engine.connect() as conn:
            return runs.project_states(conn)

    def start_run(self, name: str, location: str, trigger: str, now: datetime) -> int:
        """Record an attempt (before any work) and open its run."""
        with writing(self.engine) as conn:
            return runs.start_run(conn, name, location, trigger, now)

    def start_scan(
        self, name: str, location: str, trigger: str, now: datetime
    ) -> tuple[int, dict[str, datetime]]:
        """`start_run`, and the project's first-seen dates (`first_seen`) read in the same
        transaction: one round trip fewer per scan."""

        def work(conn: Connection) -> tuple[int, dict[str, datetime]]:
            return runs.start_run(conn, name, location, trigger, now), runs.first_seen_map(
                conn, name
            )

        return self._batch.run(work)

    def record_failure(
        self, name: str, run_id: int, error: str, *, now: datetime, duration: float,
        result: str = "failed",
    ) -> None:  # fmt: skip
        """A run that ended without findings to record: the project's findings stay as they were."""
        self._batch.run(
            lambda conn: runs.finish_run(
                conn, run_id, name, result=result, now=now, duration=duration, error=error
            )
        )

    def record_scan(
        self,
        name: str,
        run_id: int,
        report: ProjectReport,
        *,
        now: datetime,
        duration: float,
        kinds: Collection[str] = KINDS,
        known: Collection[str] | None = None,
    ) -> ScanOutcome:
        """Reconcile the findings of a successful scan, write its outbox event and close its
        run, in one transaction (which other threads' writes may share: `GroupCommit`). `known`
        is the project's first-seen keys when the caller read them before the scan
        (`start_scan`), so they are not read again."""
        desired = [
            *from_vulnerabilities(report.vulnerabilities, dev_only_pins(report.dependencies)),
            *(from_outdated(report.outdated) if "update" in kinds else ()),
            *(from_violations(report.violations) if "violation" in kinds else ()),
        ]
        learning = self._groups.begin()
        outcome = self._batch.run(
            lambda conn: self._record(conn, name, run_id, report, now, duration, kinds, known,
                                      desired, learning)
        )  # fmt: skip
        self._groups.keep(learning)  # committed: what it learnt about alias groups holds
        return outcome

    def _record(
        self, conn: Connection, name: str, run_id: int, report: ProjectReport, now: datetime,
        duration: float, kinds: Collection[str], known: Collection[str] | None,
        desired: list[Any], learning: Learning,
    ) -> ScanOutcome:  # fmt: skip
        present = {(d.name, d.version) for d in report.dependencies}
        result = reconcile(
            conn, name, desired, kinds=kinds, present=present, now=now, groups=learning
        )
        first_seen = runs.merged_first_seen(conn, name, report.first_seen, known)
        baselined = conn.execute(
            select(projects.c.baselined).where(projects.c.name == name)
        ).scalar_one()
        event = None
        if not baselined:
            # A first scan inserted everything it found: its changes are the baseline.
            views = (
                [c.finding for c in result.changes]
                if _all_new(result.changes)
                else queries.open_views(conn, name)
            )
            event = self._event(EventKind.BASELINE, name, now, run_id,
                                tuple(Change(ChangeKind.NEW, v) for v in views))  # fmt: skip
        elif result.changes:
            event = self._event(EventKind.SCAN, name, now, run_id, result.changes)
        if event is not None:
            outbox.add_event(conn, event, now)
        values = {
            "baselined": True,
            "policy": report.policy,
            "dependencies": runs.encode_dependencies(report.dependencies),
            "dependencies_at": now,
            **({} if first_seen is None else {"first_seen": first_seen}),
        }
        stats = {
            "dependencies": len(report.dependencies),
            "vulnerabilities": len(report.vulnerabilities),
            "updates": len(report.outdated),
            "violations": len(report.violations),
            "skipped": len(report.skipped),
            "changes": len(result.changes),
        }
        runs.finish_run(conn, run_id, name, result="ok", now=now, duration=duration, stats=stats,
                        project=values)  # fmt: skip
        return ScanOutcome(result.changes, event)

    def rematch(
        self,
        name: str,
        vulnerabilities: Sequence[Vulnerability],
        *,
        now: datetime,
        dependencies: Sequence[Dependency] | None = None,
        packages: Collection[str] | None = None,
    ) -> ScanOutcome:
        """Reconcile only the vulnerabilities of `name`'s stored dependency set (after a sync);
        `dependencies` is that set when the caller has already read it; with `packages`, only
        those packages' findings (`vulnerabilities` matched only their pins)."""
        return self.rematch_many([(name, vulnerabilities, dependencies)], now=now,
                                 packages=packages)[0]  # fmt: skip

    def rematch_many(
        self,
        items: Sequence[tuple[str, Sequence[Vulnerability], Sequence[Dependency] | None]],
        *,
        now: datetime,
        packages: Collection[str] | None = None,
    ) -> list[ScanOutcome]:
        """`rematch` for each (project, vulnerabilities, dependencies) in one transaction: a
        sync that concerns a thousand projects commits a few dozen times, not a thousand."""
        learning = self._groups.begin()
        with writing(self.engine) as conn:
            outcomes = [
                self._rematch(conn, name, vulns, deps, now, packages, learning)
                for name, vulns, deps in items
            ]
        self._groups.keep(learning)
        return outcomes

    def _rematch(
        self, conn: Connection, name: str, vulnerabilities: Sequence[Vulnerability],
        dependencies: Sequence[Dependency] | None, now: datetime,
        packages: Collection[str] | None, learning: Learning,
    ) -> ScanOutcome:  # fmt: skip
        deps = dependencies
        if deps is None:
            deps = runs.project_dependencies(conn, name) or []
        present = {(d.name, d.version) for d in deps}
        desired = from_vulnerabilities(vulnerabilities, dev_only_pins(deps))
        result = reconcile(
            conn, name, desired, kinds=("vulnerability",), present=present, now=now,
            seen=False, groups=learning, packages=packages,
        )  # fmt: skip
        event = None
        if result.changes:
            event = self._event(EventKind.SCAN, name, now, None, result.changes,
                                extra={"trigger": "advisory-sync"})  # fmt: skip
            outbox.add_event(conn, event, now)
        return ScanOutcome(result.changes, event)

    def projects_using(self, packages: Collection[str]) -> set[str]:
        """Projects whose stored dependency set names any of `packages`."""
        wanted = set(packages)
        with self.engine.connect() as conn:
            rows = conn.execute(select(projects.c.name, projects.c.dependencies))
            return {name for name, deps in rows if deps and any(d[0] in wanted for d in deps)}

    def dependencies(self, name: str) -> list[Dependency] | None:
        with self.engine.connect() as conn:
            return runs.project_dependencies(conn, name)

    def dependencies_of(self, names: Sequence[str]) -> dict[str, list[Dependency]]:
        """The stored dependency sets of `names` (those scanned at least once), in one query."""
        with self.engine.connect() as conn:
            return runs.dependencies_of(conn, names)

    def interrupt_running(self, now: datetime, reason: str) -> list[str]:
        with writing(self.engine) as conn:
            return runs.interrupt_running(conn, now, reason)

    def runs(
        self, *, project: str | None = None, limit: int = 50, before: int | None = None
    ) -> list[RunRecord]:
        with self.engine.connect() as conn:
            return runs.list_runs(conn, project=project, limit=limit, before=before)

    def run(self, run_id: int) -> RunRecord | None:
        with self.engine.connect() as conn:
            return runs.get_run(conn, run_id)

    def first_seen(self, name: str) -> dict[str, datetime]:
        with self.engine.connect() as conn:
            return runs.first_seen_map(conn, name)

    # -- jobs ----------------------------------------------------------------------------------

    def jobs(self) -> dict[str, JobState]:
        with self.engine.connect() as conn:
            return runs.all_jobs(conn)

    def record_job(
        self, job_id: str, now: datetime, *, result: str, error: str | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        with writing(self.engine) as conn:
            runs.record_job(conn, job_id, now, result=result, error=error, info=info)

    def forget_jobs(self, prefix: str, keep: Collection[str]) -> None:
        """Drop the state of `prefix` jobs no longer configured (e.g. a policy's review)."""
        with writing(self.engine) as conn:
            query = jobs.delete().where(jobs.c.id.startswith(prefix))
            if keep:
                query = query.where(jobs.c.id.not_in(list(keep)))
            conn.execute(query)

    # -- findings and triage -------------------------------------------------------------------

    def findings(self, flt: FindingFilter | None = None) -> list[FindingRecord]:
        with self.engine.connect() as conn:
            return queries.list_findings(conn, flt or FindingFilter())

    def finding(self, finding_id: int) -> FindingRecord | None:
        with self.engine.connect() as conn:
            return queries.finding_detail(conn, finding_id)

    def dismiss(
        self, finding_id: int, *, reason: str, comment: str, actor: str, now: datetime
    ) -> FindingRecord:
        with writing(self.engine) as conn:
            triage.dismiss(conn, finding_id, reason=reason, comment=comment, actor=actor, now=now)
            return self._detail(conn, finding_id)

    def snooze(
        self, finding_id: int, *, until: datetime | None, until_fix: bool, comment: str,
        actor: str, now: datetime,
    ) -> FindingRecord:  # fmt: skip
        with writing(self.engine) as conn:
            triage.snooze(conn, finding_id, until=until, until_fix=until_fix, comment=comment,
                          actor=actor, now=now)  # fmt: skip
            return self._detail(conn, finding_id)

    def reopen(self, finding_id: int, *, comment: str, actor: str, now: datetime) -> FindingRecord:
        with writing(self.engine) as conn:
            triage.reopen(conn, finding_id, comment=comment, actor=actor, now=now)
            return self._detail(conn, finding_id)

    def expire_snoozes(self, now: datetime) -> list[Event]:
        """Reopen snoozes whose date has passed; one EXPIRY event per project, same transaction."""
        with writing(self.engine) as conn:
            reopened = triage.expire_snoozes(conn, now)
            events = [
                self._event(EventKind.EXPIRY, name, now, None, tuple(changes))
                for name, changes in sorted(reopened.items())
            ]
            for event in events:
                outbox.add_event(conn, event, now)
        return events

    def counts(self) -> dict[str, dict[tuple[str, str], int]]:
        with self.engine.connect() as conn:
            return queries.counts(conn)

    def open_violations(self) -> list[tuple[str, str, str, str | None, bool]]:
        with self.engine.connect() as conn:
            return queries.open_violations(conn)

    # -- digests and the outbox ----------------------------------------------------------------

    def write_digest(self, name: str, now: datetime, *, since: datetime | None,
                     extra: dict[str, Any] | None = None) -> Event:  # fmt: skip
        """The review digest of `name` from its stored findings, written to the outbox."""
        with writing(self.engine) as conn:
            event = self._digest(conn, name, now, since, extra)
            outbox.add_event(conn, event, now)
        return event

    def digest_event(self, name: str, now: datetime, *, since: datetime | None = None) -> Event:
        """The digest `write_digest` would write now, without writing it (`alerts preview`)."""
        with self.engine.connect() as conn:
            return self._digest(conn, name, now, since, None)

    def _digest(
        self, conn: Any, name: str, now: datetime, since: datetime | None,
        extra: dict[str, Any] | None,
    ) -> Event:  # fmt: skip
        from depsentry.daemon.digests import commands_for, readiness_for

        views = queries.open_views(conn, name)
        triaged = queries.triaged_counts(conn, name)
        updates = tuple(v for v in views if v.kind == "update")
        digest = ProjectDigest(
            outdated=updates,
            overdue=tuple(v for v in views if v.kind == "violation" and v.overdue),
            due=tuple(v for v in views if v.kind == "violation" and not v.overdue),
            open_vulnerabilities=tuple(v for v in views if v.kind == "vulnerability"),
            libyears=round(sum(v.libyears or 0.0 for v in updates), 2),
            fixed_since_last=queries.resolved_since(conn, name, since),
            dismissed=triaged.get("dismissed", 0),
            snoozed=triaged.get("snoozed", 0),
            commands=commands_for(views),
            readiness=readiness_for(views),
        )
        return Event(
            id=uuid7(), kind=EventKind.DIGEST, project=name, created_at=now.isoformat(),
            digest=digest, extra=extra or {},
        )  # fmt: skip

    def pending_events(
        self, *, after: int = 0, limit: int = 100, include_processed: bool = False
    ) -> list[Pending]:
        """Outbox events in order (`seq` > `after`); what the relay reads."""
        with self.engine.connect() as conn:
            return outbox.pending(
                conn, after=after, limit=limit, include_processed=include_processed
            )

    def mark_processed(self, seqs: Sequence[int], now: datetime) -> int:
        with writing(self.engine) as conn:
            return outbox.mark_processed(conn, seqs, now)

    def outbox_depth(self) -> int:
        with self.engine.connect() as conn:
            return outbox.depth(conn)

    # -- the relay's deliveries ----------------------------------------------------------------

    def fan_out(
        self,
        pending: Pending,
        routed: Sequence[Routed],
        now: datetime,
        *,
        dismiss: Sequence[tuple[int, str, str, str]] = (),
    ) -> int:
        """One event's deliveries, its auto-triage dismissals (finding id, reason, comment,
        actor) and the outbox mark, in one transaction; how many deliveries were new."""
        return self.fan_out_many([(pending, routed, dismiss)], now)

    def fan_out_many(
        self,
        work: Sequence[tuple[Pending, Sequence[Routed], Sequence[tuple[int, str, str, str]]]],
        now: datetime,
    ) -> int:
        """`fan_out` for several events in one transaction (a burst costs one commit)."""
        added = 0
        with writing(self.engine) as conn:
            # Events routed nowhere are only marked, together (most of a fleet's, often).
            outbox.mark_processed(conn, [p.seq for p, r, d in work if not r and not d], now)
            for pending, routed, dismiss in work:
                if not routed and not dismiss:
                    continue
                for finding_id, reason, comment, actor in dismiss:
                    with contextlib.suppress(TriageError):  # resolved meanwhile
                        triage.dismiss(conn, finding_id, reason=reason, comment=comment,
                                       actor=actor, now=now)  # fmt: skip
                added += deliveries.fan_out(
                    conn, pending.seq, pending.id, pending.project, pending.kind, routed, now
                )
        return added

    def alerted_keys(self, project: str, channels: Collection[str]) -> dict[str, set[str]]:
        with self.engine.connect() as conn:
            return deliveries.alerted_keys(conn, project, channels)

    def add_route_baselines(self, pairs: Collection[tuple[str, str]], now: datetime) -> list[Event]:
        """For each configured (channel, project) route not yet known: when the project has had
        its first scan, one BASELINE event for that channel alone (`extra.route`), and the route
        remembered, in one transaction. Routes of projects not yet scanned wait for their first
        scan's baseline."""
        events: list[Event] = []
        if not pairs:
            return events
        with self.engine.connect() as conn:  # the common case: nothing new, no write lock
            if not set(pairs) - deliveries.known_routes(conn):
                return events
        with writing(self.engine) as conn:
            known = deliveries.known_routes(conn)
            baselined = deliveries.baselined_projects(conn)
            waiting = outbox.unrouted_baselines(conn)  # a first scan's baseline covers them
            for channel, project in sorted(set(pairs) - known):
                if project not in baselined or project in waiting:
                    continue
                views = queries.open_views(conn, project)
                event = self._event(EventKind.BASELINE, project, now, None,
                                    tuple(Change(ChangeKind.NEW, v) for v in views),
                                    extra={"route": channel})  # fmt: skip
                outbox.add_event(conn, event, now)
                deliveries.add_routes(conn, [(channel, project)], now)
                events.append(event)
        return events

    def review_events(self, review: str) -> list[Event]:
        with self.engine.connect() as conn:
            return outbox.review_events(conn, review)

    def next_delivery(self, channel: str, now: datetime) -> Delivery | None:
        with self.engine.connect() as conn:
            due = deliveries.next_due(conn, channel, now)
        return due[0] if due else None

    def due_deliveries(self, channel: str, now: datetime, limit: int) -> list[Delivery]:
        """The channel's next `limit` deliveries in order (the relay sends them one by one)."""
        with self.engine.connect() as conn:
            return deliveries.next_due(conn, channel, now, limit)

    def next_release(self, channel: str) -> datetime | None:
        with self.engine.connect() as conn:
            return deliveries.next_release(conn, channel)

    def delivery_channels(self) -> set[str]:
        """Channels with pending deliveries."""
        with self.engine.connect() as conn:
            return deliveries.pending_channels(conn)

    def delivery_part_sent(self, delivery_id: int, parts_sent: int, now: datetime) -> None:
        with writing(self.engine) as conn:
            deliveries.record_part(conn, delivery_id, parts_sent, now)

    def delivery_sent(self, delivery_id: int, now: datetime, answer: str) -> None:
        with writing(self.engine) as conn:
            deliveries.mark_sent(conn, delivery_id, now, answer)

    def delivery_retry_at(
        self, delivery_id: int, now: datetime, next_at: datetime, error: str
    ) -> None:
        with writing(self.engine) as conn:
            deliveries.mark_retry(conn, delivery_id, now, next_at, error)

    def delivery_failed(self, delivery_id: int, now: datetime, error: str) -> None:
        with writing(self.engine) as conn:
            deliveries.mark_failed(conn, delivery_id, now, error)

    def retry_delivery(self, delivery_id: int, now: datetime) -> Delivery | None:
        """`depsentry alerts retry`: a failed delivery goes back to its channel's queue."""
        with writing(self.engine) as conn:
            return deliveries.retry(conn, delivery_id, now)

    def deliveries(
        self, *, state: str | None = None, channel: str | None = None, limit: int = 100
    ) -> list[Delivery]:
        with self.engine.connect() as conn:
            return deliveries.list_deliveries(conn, state=state, channel=channel, limit=limit)

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        with self.engine.connect() as conn:
            return deliveries.counts(conn)

    def open_findings(self, name: str) -> list[Any]:
        """Every open, untriaged finding of `name` as FindingViews (previews)."""
        with self.engine.connect() as conn:
            return queries.open_views(conn, name)

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _event(
        kind: EventKind, name: str, now: datetime, run_id: int | None,
        changes: tuple[Change, ...], extra: dict[str, Any] | None = None,
    ) -> Event:  # fmt: skip
        return Event(
            id=uuid7(), kind=kind, project=name, created_at=now.isoformat(), run_id=run_id,
            changes=changes, extra=extra or {},
        )  # fmt: skip

    @staticmethod
    def _detail(conn: Any, finding_id: int) -> FindingRecord:
        record = queries.finding_detail(conn, finding_id)
        assert record is not None
        return record
