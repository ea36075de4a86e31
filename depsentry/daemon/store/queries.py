"""Read-only queries: findings with their history and audit, and the counts that the status,
the metrics and the review digest show."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from depsentry.daemon.events import FindingView
from depsentry.daemon.store.findings import view_of
from depsentry.daemon.store.schema import findings, severity_history, triage_audit

__all__ = ["STATES", "FindingFilter", "FindingRecord", "counts", "finding_detail", "list_findings"]

STATES = ("open", "dismissed", "snoozed", "resolved", "active", "all")


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """Which findings to list. `state`: open (and not triaged), dismissed, snoozed, resolved,
    active (open, triaged or not), all."""

    project: str | None = None
    kind: str | None = None
    state: str = "open"
    package: str | None = None
    severity: str | None = None
    limit: int = 500
    offset: int = 0


@dataclass(frozen=True, slots=True)
class FindingRecord:
    id: int
    project: str
    kind: str
    package: str
    key: str
    status: str
    resolution: str | None
    severity: str
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    triage: str
    triage_reason: str | None
    triage_comment: str | None
    triage_by: str | None
    triage_at: datetime | None
    snooze_until: datetime | None
    snooze_until_fix: bool
    view: FindingView
    history: tuple[dict[str, Any], ...] = field(default=())
    audit: tuple[dict[str, Any], ...] = field(default=())

    @property
    def state(self) -> str:
        if self.status != "open":
            return self.resolution or self.status
        return "open" if self.triage == "none" else self.triage

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "project": self.project, "kind": self.kind, "package": self.package,
            "key": self.key, "state": self.state, "status": self.status,
            "resolution": self.resolution, "severity": self.severity,
            "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen),
            "resolved_at": _iso(self.resolved_at),
            "triage": {
                "state": self.triage, "reason": self.triage_reason,
                "comment": self.triage_comment, "by": self.triage_by,
                "at": _iso(self.triage_at), "snooze_until": _iso(self.snooze_until),
                "snooze_until_fix": self.snooze_until_fix,
            },
            "version": self.view.version, "advisory_id": self.view.advisory_id,
            "aliases": list(self.view.aliases), "cvss": self.view.cvss,
            "fixed_in": list(self.view.fixed_in), "summary": self.view.summary,
            "target": self.view.target, "rule": self.view.rule, "due": self.view.due,
            "source": self.view.source,
        }  # fmt: skip
        if self.history or self.audit:
            out["severity_history"] = list(self.history)
            out["audit"] = list(self.audit)
        return out


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _record(row: Any) -> FindingRecord:
    names = [f for f in FindingRecord.__slots__ if f not in ("view", "history", "audit")]
    return FindingRecord(**{n: row[n] for n in names}, view=view_of(row))


def list_findings(conn: Connection, flt: FindingFilter) -> list[FindingRecord]:
    query = select(findings)
    if flt.project:
        query = query.where(findings.c.project == flt.project)
    if flt.kind:
        query = query.where(findings.c.kind == flt.kind)
    if flt.package:
        query = query.where(findings.c.package == flt.package)
    if flt.severity:
        query = query.where(findings.c.severity == flt.severity)
    if flt.state == "open":
        query = query.where(findings.c.status == "open", findings.c.triage == "none")
    elif flt.state in ("dismissed", "snoozed"):
        query = query.where(findings.c.status == "open", findings.c.triage == flt.state)
    elif flt.state == "resolved":
        query = query.where(findings.c.status == "resolved")
    elif flt.state == "active":
        query = query.where(findings.c.status == "open")
    query = query.order_by(findings.c.project, findings.c.kind, findings.c.package, findings.c.id)
    rows = conn.execute(query.limit(flt.limit).offset(flt.offset)).mappings()
    return [_record(row) for row in rows]


def finding_detail(conn: Connection, finding_id: int) -> FindingRecord | None:
    row = conn.execute(select(findings).where(findings.c.id == finding_id)).mappings().first()
    if row is None:
        return None
    history = tuple(
        {"at": _iso(h["at"]), "severity": h["severity"], "cvss": h["cvss"]}
        for h in conn.execute(
            select(severity_history)
            .where(severity_history.c.finding_id == finding_id)
            .order_by(severity_history.c.id)
        ).mappings()
    )
    audit = tuple(
        {
            "at": _iso(a["at"]),
            "actor": a["actor"],
            "action": a["action"],
            "reason": a["reason"],
            "comment": a["comment"],
            "until": _iso(a["until"]),
            "until_fix": a["until_fix"],
        }  # fmt: skip
        for a in conn.execute(
            select(triage_audit)
            .where(triage_audit.c.finding_id == finding_id)
            .order_by(triage_audit.c.id)
        ).mappings()
    )
    record = _record(row)
    return FindingRecord(
        **{n: getattr(record, n) for n in FindingRecord.__slots__ if n not in ("history", "audit")},
        history=history,
        audit=audit,
    )


def counts(conn: Connection) -> dict[str, dict[tuple[str, str], int]]:
    """Open, untriaged findings by project, then by (kind, severity)."""
    rows = conn.execute(
        select(findings.c.project, findings.c.kind, findings.c.severity, func.count())
        .where(findings.c.status == "open", findings.c.triage == "none")
        .group_by(findings.c.project, findings.c.kind, findings.c.severity)
    )
    out: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for project, kind, severity, n in rows:
        out[project][(kind, severity)] = int(n)
    return dict(out)


def open_views(conn: Connection, project: str) -> list[FindingView]:
    """Every open, untriaged finding of `project` (what a baseline or digest lists)."""
    rows = conn.execute(
        select(findings)
        .where(
            findings.c.project == project, findings.c.status == "open", findings.c.triage == "none"
        )
        .order_by(findings.c.kind, findings.c.package, findings.c.id)
    ).mappings()
    return [view_of(row) for row in rows]


def triaged_counts(conn: Connection, project: str) -> dict[str, int]:
    rows = conn.execute(
        select(findings.c.triage, func.count())
        .where(
            findings.c.project == project, findings.c.status == "open", findings.c.triage != "none"
        )
        .group_by(findings.c.triage)
    )
    return {triage: int(n) for triage, n in rows}


def resolved_since(conn: Connection, project: str, since: datetime | None) -> int:
    query = (
        select(func.count())
        .select_from(findings)
        .where(findings.c.project == project, findings.c.status == "resolved")
    )
    if since is not None:
        query = query.where(findings.c.resolved_at > since)
    return int(conn.execute(query).scalar_one())


def open_violations(conn: Connection) -> list[tuple[str, str, str, str | None, bool]]:
    """(project, rule, package, due, overdue) of every open, untriaged violation."""
    rows = conn.execute(
        select(findings.c.project, findings.c.package, findings.c.details)
        .where(
            findings.c.kind == "violation", findings.c.status == "open", findings.c.triage == "none"
        )
        .order_by(findings.c.project, findings.c.package)
    )
    return [
        (
            project,
            details.get("rule") or "",
            package,
            details.get("due"),
            bool(details.get("overdue")),
        )
        for project, package, details in rows
    ]
