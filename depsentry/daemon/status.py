"""What the status page and `GET /v1/status` show: a frozen snapshot of the daemon, built from
the store and the running service (the page renderer sees only this, never the store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

__all__ = [
    "ChannelStatus",
    "OverdueItem",
    "ProjectStatus",
    "StatusSnapshot",
    "build_snapshot",
    "to_json",
]

SEVERITY_KEYS = ("critical", "high", "medium", "low", "unrated")


@dataclass(frozen=True)
class ProjectStatus:
    name: str
    location: str  # path or git URL with credentials removed
    last_run_at: datetime | None
    last_result: str | None  # "ok" | "failed" | "interrupted" | None (never run)
    last_error: str | None  # one line
    next_run_at: datetime | None
    open_by_severity: dict[str, int]  # "critical".."low","unrated" -> count of open vulns
    overdue: int
    open_updates: int = 0
    running: bool = False
    queued: bool = False
    last_success_at: datetime | None = None


@dataclass(frozen=True)
class OverdueItem:
    project: str
    rule: str
    package: str
    due: date
    overdue_days: int


@dataclass(frozen=True)
class ChannelStatus:
    """One alert channel's deliveries: waiting, confirmed and given up."""

    name: str
    pending: int = 0
    sent: int = 0
    failed: int = 0


@dataclass(frozen=True)
class StatusSnapshot:
    generated_at: datetime
    ready: bool
    advisory_records: int
    advisory_updated: datetime | None
    last_sync_at: datetime | None
    queue_depth: int
    in_flight: int
    projects: tuple[ProjectStatus, ...]
    overdue: tuple[OverdueItem, ...]
    next_runs: tuple[tuple[str, datetime], ...]  # (job description, when)
    advisory_source: str = ""
    version: str = ""
    channels: tuple[ChannelStatus, ...] = ()
    give_up_after: float = 0.0  # seconds the relay retries a delivery ([alerts] give_up_after)


def build_snapshot(
    *,
    now: datetime,
    ready: bool,
    projects: Sequence[tuple[str, str]],
    states: Mapping[str, Any],
    counts: Mapping[str, Mapping[tuple[str, str], int]],
    violations: Sequence[tuple[str, str, str, str | None, bool]],
    next_run: Mapping[str, datetime | None],
    running: set[str],
    queued: set[str],
    advisory_records: int,
    advisory_updated: datetime | None,
    advisory_source: str,
    last_sync_at: datetime | None,
    next_runs: Sequence[tuple[str, datetime]],
    version: str,
    channels: Sequence[str] = (),
    deliveries: Mapping[str, Mapping[str, int]] | None = None,
    give_up_after: float = 0.0,
) -> StatusSnapshot:
    """Assemble a snapshot; `projects` are the configured (name, location) pairs, in order."""
    overdue_items: list[OverdueItem] = []
    overdue_by_project: dict[str, int] = {}
    configured = {name for name, _ in projects}
    for project, rule, package, due_text, overdue in violations:
        if project not in configured or not overdue or not due_text:
            continue
        due = date.fromisoformat(due_text)
        overdue_items.append(OverdueItem(project, rule, package, due, (now.date() - due).days))
        overdue_by_project[project] = overdue_by_project.get(project, 0) + 1
    out = []
    for name, location in projects:
        state = states.get(name)
        c = counts.get(name, {})
        by_severity = dict.fromkeys(SEVERITY_KEYS, 0)
        updates = 0
        for (kind, severity), n in c.items():
            if kind == "vulnerability":
                by_severity["unrated" if severity == "unknown" else severity] += n
            elif kind == "update":
                updates += n
        result = getattr(state, "last_result", None)
        out.append(
            ProjectStatus(
                name=name,
                location=location,
                last_run_at=getattr(state, "last_attempt_at", None),
                last_result=None if result == "running" else result,
                last_error=getattr(state, "last_error", None),
                next_run_at=next_run.get(name),
                open_by_severity=by_severity,
                overdue=overdue_by_project.get(name, 0),
                open_updates=updates,
                running=name in running,
                queued=name in queued,
                last_success_at=getattr(state, "last_success_at", None),
            )
        )
    overdue_items.sort(key=lambda o: (-o.overdue_days, o.project, o.package))
    return StatusSnapshot(
        generated_at=now,
        ready=ready,
        advisory_records=advisory_records,
        advisory_updated=advisory_updated,
        last_sync_at=last_sync_at,
        queue_depth=len(queued),
        in_flight=len(running),
        projects=tuple(out),
        overdue=tuple(overdue_items),
        next_runs=tuple(next_runs[:20]),
        advisory_source=advisory_source,
        version=version,
        channels=tuple(
            ChannelStatus(name, **{k: int(v) for k, v in (deliveries or {}).get(name, {}).items()})
            for name in channels
        ),
        give_up_after=give_up_after,
    )


def to_json(value: Any) -> Any:
    """A snapshot (or part of one) as JSON-ready data: datetimes and dates in ISO 8601."""
    if hasattr(value, "__dataclass_fields__"):
        return to_json(asdict(value))
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
