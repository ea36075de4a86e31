"""What the status page and GET /v1/status show: a snapshot of the daemon, built from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ProjectStatus:
    name: str
    location: str  # path or git URL with credentials removed
    last_run_at: datetime | None
    last_result: str | None  # "ok" | "failed" | "interrupted" | None (never run)
    last_error: str | None  # one line
    next_run_at: datetime | None
    open_by_severity: dict[str, int]  # "critical".."low", "unrated" -> open vulnerabilities
    overdue: int


@dataclass(frozen=True)
class OverdueItem:
    project: str
    rule: str
    package: str
    due: date
    overdue_days: int


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
