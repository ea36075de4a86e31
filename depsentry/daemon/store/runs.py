"""Scan runs, each project's state (attempts, last result, last dependency set) and the
daemon's own jobs: what the scheduler's catch-up and the status page read.

An attempt is recorded when a run starts, not when it succeeds, so a project that always
fails waits for its next scheduled time instead of being retried in a loop.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from depsentry.daemon.store.schema import jobs, projects, runs
from depsentry.models import Dependency, Source

__all__ = [
    "JobState",
    "ProjectState",
    "RunRecord",
    "decode_dependencies",
    "encode_dependencies",
]

INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class ProjectState:
    name: str
    location: str
    policy: str | None
    baselined: bool
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_result: str | None
    last_error: str | None
    last_run_id: int | None
    interrupted_streak: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    project: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    result: str
    error: str | None
    duration: float | None
    stats: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project": self.project,
            "trigger": self.trigger,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "result": self.result,
            "error": self.error,
            "duration": self.duration,
            "stats": self.stats,
        }


@dataclass(frozen=True, slots=True)
class JobState:
    id: str
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_result: str | None
    last_error: str | None
    info: dict[str, Any]


def encode_dependencies(deps: Iterable[Dependency]) -> list[list[Any]]:
    """Compact JSON for the last dependency set (what matching needs, and where each came from)."""
    return [
        [
            d.name,
            d.version,
            d.direct,
            d.source.path,
            d.source.line,
            *([list(d.groups)] if d.groups else []),
        ]
        for d in deps
    ]  # groups (6th, when any): a re-match still knows which pins are dev-only


def decode_dependencies(data: Sequence[Sequence[Any]] | None) -> list[Dependency]:
    return [
        Dependency(
            name=n, version=v, direct=bool(direct), source=Source(path, line),
            groups=tuple(rest[0]) if rest else (),
        )
        for n, v, direct, path, line, *rest in data or ()
    ]  # fmt: skip


def ensure_project(conn: Connection, name: str, location: str) -> None:
    exists = conn.execute(select(projects.c.name).where(projects.c.name == name)).first()
    if exists is None:
        conn.execute(
            insert(projects).values(
                name=name, location=location, baselined=False, interrupted_streak=0
            )
        )
    else:
        conn.execute(update(projects).where(projects.c.name == name).values(location=location))


def start_run(conn: Connection, name: str, location: str, trigger: str, now: datetime) -> int:
    result = conn.execute(
        insert(runs).values(project=name, trigger=trigger, started_at=now, result="running")
    )
    run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert isinstance(run_id, int)
    attempt = {"location": location, "last_attempt_at": now, "last_run_id": run_id,
               "last_result": "running"}  # fmt: skip
    # The project's row exists but for its very first run: update first, insert only if not.
    updated = conn.execute(update(projects).where(projects.c.name == name).values(**attempt))
    if not updated.rowcount:
        conn.execute(
            insert(projects).values(name=name, baselined=False, interrupted_streak=0, **attempt)
        )
    return run_id


def finish_run(
    conn: Connection,
    run_id: int,
    name: str,
    *,
    result: str,
    now: datetime,
    duration: float,
    error: str | None = None,
    stats: dict[str, Any] | None = None,
    project: dict[str, Any] | None = None,
) -> None:
    """Close the run and update its project's row (with `project`'s values too: one write)."""
    conn.execute(
        update(runs)
        .where(runs.c.id == run_id)
        .values(finished_at=now, result=result, error=error, duration=duration, stats=stats or {})
    )
    values: dict[str, Any] = {**(project or {}), "last_result": result, "last_error": error}
    if result == "ok":
        values.update(last_success_at=now, interrupted_streak=0)
    elif result == "failed":
        values.update(interrupted_streak=0)
    conn.execute(update(projects).where(projects.c.name == name).values(**values))


def interrupt_running(conn: Connection, now: datetime, reason: str) -> list[str]:
    """Mark every run still `running` as interrupted (a stop, or a crash found at start)."""
    rows = conn.execute(select(runs.c.id, runs.c.project).where(runs.c.result == "running")).all()
    for run_id, name in rows:
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(finished_at=now, result=INTERRUPTED, error=reason)
        )
        streak = conn.execute(
            select(projects.c.interrupted_streak).where(projects.c.name == name)
        ).scalar_one_or_none()
        conn.execute(
            update(projects)
            .where(projects.c.name == name)
            .values(
                last_result=INTERRUPTED, last_error=reason, interrupted_streak=(streak or 0) + 1
            )
        )
    return [name for _, name in rows]


def project_states(conn: Connection) -> dict[str, ProjectState]:
    out: dict[str, ProjectState] = {}
    columns = [c for c in projects.c if c.name not in ("dependencies", "first_seen")]
    for row in conn.execute(select(*columns)).mappings():
        out[row["name"]] = ProjectState(**{k: row[k] for k in ProjectState.__slots__})
    return out


def project_dependencies(conn: Connection, name: str) -> list[Dependency] | None:
    row = conn.execute(select(projects.c.dependencies).where(projects.c.name == name)).first()
    return None if row is None or row[0] is None else decode_dependencies(row[0])


def dependencies_of(conn: Connection, names: Sequence[str]) -> dict[str, list[Dependency]]:
    rows = conn.execute(
        select(projects.c.name, projects.c.dependencies).where(projects.c.name.in_(list(names)))
    )
    return {name: decode_dependencies(data) for name, data in rows if data is not None}


def list_runs(
    conn: Connection, *, project: str | None = None, limit: int = 50, before: int | None = None
) -> list[RunRecord]:
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if project is not None:
        query = query.where(runs.c.project == project)
    if before is not None:
        query = query.where(runs.c.id < before)
    return [_run(row) for row in conn.execute(query).mappings()]


def get_run(conn: Connection, run_id: int) -> RunRecord | None:
    row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    return None if row is None else _run(row)


def _run(row: Any) -> RunRecord:
    return RunRecord(
        **{k: row[k] for k in RunRecord.__slots__ if k != "stats"}, stats=row["stats"] or {}
    )


def first_seen_map(conn: Connection, name: str) -> dict[str, datetime]:
    raw = conn.execute(select(projects.c.first_seen).where(projects.c.name == name)).scalar()
    return decode_first_seen(raw)


def decode_first_seen(raw: dict[str, list[str]] | None) -> dict[str, datetime]:
    """Key -> date of a stored `{ISO time: [keys]}` map (the earliest date when a key repeats)."""
    dated = sorted(((datetime.fromisoformat(when), keys) for when, keys in (raw or {}).items()),
                   key=lambda item: item[0], reverse=True)  # fmt: skip
    out: dict[str, datetime] = {}
    for at, keys in dated:  # latest first: an earlier date of the same key overwrites it
        out.update(dict.fromkeys(keys, at))
    return out


def merged_first_seen(
    conn: Connection, name: str, dates: dict[str, datetime], known: Collection[str] | None = None
) -> dict[str, list[str]] | None:
    """The project's stored first-seen map with the keys of `dates` it lacks added, or None
    when it lacks none (`known`: the keys read before, when the caller has them; then nothing
    is read unless some key is new). The caller writes it in the same transaction."""
    if known is not None and all(key in known for key in dates):
        return None
    raw = conn.execute(
        select(projects.c.first_seen).where(projects.c.name == name).with_for_update()
    ).scalar()
    stored: dict[str, list[str]] = {when: list(keys) for when, keys in (raw or {}).items()}
    have = {key for keys in stored.values() for key in keys}
    fresh = [(key, at) for key, at in dates.items() if key not in have]
    if not fresh:
        return None
    shown: dict[datetime, str] = {}  # a scan's new keys share one or two dates
    for key, at in fresh:
        when = shown.get(at)
        if when is None:
            when = shown[at] = at.astimezone(UTC).isoformat()
        stored.setdefault(when, []).append(key)
    return stored


def job_state(conn: Connection, job_id: str) -> JobState | None:
    row = conn.execute(select(jobs).where(jobs.c.id == job_id)).mappings().first()
    if row is None:
        return None
    return JobState(
        **{k: row[k] for k in JobState.__slots__ if k != "info"}, info=row["info"] or {}
    )


def all_jobs(conn: Connection) -> dict[str, JobState]:
    out = {}
    for row in conn.execute(select(jobs)).mappings():
        out[row["id"]] = JobState(
            **{k: row[k] for k in JobState.__slots__ if k != "info"}, info=row["info"] or {}
        )
    return out


def record_job(
    conn: Connection,
    job_id: str,
    now: datetime,
    *,
    result: str,
    error: str | None = None,
    info: dict[str, Any] | None = None,
) -> None:
    """Record one attempt of a job (`result` "running" marks only the attempt)."""
    values: dict[str, Any] = {"last_attempt_at": now} if result == "running" else {}
    if result != "running":
        values.update(last_result=result, last_error=error)
        if result == "ok":
            values["last_success_at"] = now
        if info is not None:
            values["info"] = info
    exists = conn.execute(select(jobs.c.id).where(jobs.c.id == job_id)).first()
    if exists is None:
        conn.execute(insert(jobs).values(id=job_id, **values))
    else:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))
