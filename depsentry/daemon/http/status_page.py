"""The status page at `/`: one server-rendered HTML page (Jinja2, autoescaped, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from depsentry.daemon.status import OverdueItem, ProjectStatus, StatusSnapshot

__all__ = ["SEVERITIES", "render_status"]

SEVERITIES = ("critical", "high", "medium", "low", "unrated")
STALE_SYNC = timedelta(hours=24)  # the default sync runs every 6 h: a day means it is failing
MAX_NEXT_RUNS = 25


@dataclass(frozen=True)
class _Row:
    project: ProjectStatus
    counts: tuple[int, ...]  # per SEVERITIES
    total: int
    state: str  # ok | failed | interrupted | never


def _utc(moment: datetime) -> datetime:
    # The daemon hands aware datetimes; a naive one is taken as UTC rather than local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else _utc(moment).strftime("%Y-%m-%d %H:%M:%S +00:00")


def _when_short(moment: datetime | None) -> str:
    return "" if moment is None else _utc(moment).strftime("%Y-%m-%d %H:%M +00:00")


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else _utc(moment).isoformat(timespec="seconds")


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def _relative(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return ""
    delta = (_utc(moment) - now).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"in {_span(delta)}" if delta > 0 else f"{_span(delta)} ago"


def _state(project: ProjectStatus) -> str:
    return (
        project.last_result if project.last_result in ("ok", "failed", "interrupted") else "never"
    )


def _rows(projects: tuple[ProjectStatus, ...]) -> list[_Row]:
    rows = []
    for project in projects:
        counts = tuple(max(0, int(project.open_by_severity.get(s, 0))) for s in SEVERITIES)
        rows.append(_Row(project, counts, sum(counts), _state(project)))
    # Failing first, then the worst open findings, then by name.
    rows.sort(key=lambda r: (r.state != "failed", tuple(-c for c in r.counts), r.project.name))
    return rows


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("depsentry.daemon.http", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["when_short"] = _when_short
    env.filters["iso"] = _iso
    return env


def render_status(snapshot: StatusSnapshot, *, refresh_seconds: int | None = 60) -> str:
    """The page for `snapshot`; it reloads itself every `refresh_seconds` (None: never)."""
    now = _utc(snapshot.generated_at)
    rows = _rows(snapshot.projects)
    failing = [r for r in rows if r.state == "failed"]
    attention = failing + [r for r in rows if r.state == "interrupted"]
    totals = tuple(sum(r.counts[i] for r in rows) for i in range(len(SEVERITIES)))
    overdue: list[OverdueItem] = sorted(
        snapshot.overdue, key=lambda o: (-o.overdue_days, o.project, o.package, o.rule)
    )
    next_runs = sorted(snapshot.next_runs, key=lambda run: _utc(run[1]))
    sync_stale = snapshot.last_sync_at is None or now - _utc(snapshot.last_sync_at) > STALE_SYNC
    template = _environment().get_template("status.html.j2")
    return template.render(
        snapshot=snapshot,
        now=now,
        rows=rows,
        failing=failing,
        attention=attention,
        severities=SEVERITIES,
        totals=totals,
        open_total=sum(totals),
        overdue=overdue,
        next_runs=next_runs[:MAX_NEXT_RUNS],
        more_runs=max(0, len(next_runs) - MAX_NEXT_RUNS),
        sync_stale=sync_stale,
        relative=lambda moment: _relative(moment, now),
        refresh_seconds=refresh_seconds,
    )
