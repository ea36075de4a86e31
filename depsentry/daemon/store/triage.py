"""Triage: dismiss a finding with a reason, snooze it until a date or until a fix is released,
reopen it; every step is audited (who, when, why). Expired snoozes reopen by themselves.

The reasons are Dependabot's dismissal reasons, so people moving from it find their words.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from depsentry.daemon.events import Change, ChangeKind
from depsentry.daemon.store.findings import view_of
from depsentry.daemon.store.schema import findings, triage_audit
from depsentry.errors import TriageError

__all__ = ["DISMISS_REASONS", "dismiss", "expire_snoozes", "reopen", "snooze"]

DISMISS_REASONS = ("fix_started", "inaccurate", "no_bandwidth", "not_used", "tolerable_risk")


def _row(conn: Connection, finding_id: int) -> Any:
    row = conn.execute(select(findings).where(findings.c.id == finding_id)).mappings().first()
    if row is None:
        raise TriageError(f"no finding {finding_id}", missing=True)
    return row


def _audit(conn: Connection, finding_id: int, **values: Any) -> None:
    values.setdefault("until_fix", False)
    conn.execute(insert(triage_audit).values(finding_id=finding_id, **values))


def dismiss(
    conn: Connection, finding_id: int, *, reason: str, comment: str, actor: str, now: datetime
) -> None:
    if reason not in DISMISS_REASONS:
        raise TriageError(f"unknown reason {reason!r}; choose from {', '.join(DISMISS_REASONS)}")
    row = _row(conn, finding_id)
    if row["status"] != "open":
        raise TriageError(
            f"finding {finding_id} is {row['resolution'] or row['status']}: nothing to dismiss",
            conflict=True,
        )
    conn.execute(
        update(findings)
        .where(findings.c.id == finding_id)
        .values(
            triage="dismissed", triage_reason=reason, triage_comment=comment, triage_by=actor,
            triage_at=now, snooze_until=None, snooze_until_fix=False,
        )
    )  # fmt: skip
    _audit(conn, finding_id, at=now, actor=actor, action="dismiss", reason=reason, comment=comment)


def snooze(
    conn: Connection,
    finding_id: int,
    *,
    until: datetime | None,
    until_fix: bool,
    comment: str,
    actor: str,
    now: datetime,
) -> None:
    if (until is None) == (not until_fix):
        raise TriageError("snooze needs exactly one of: a date (until) or until a fix is released")
    if until is not None and until <= now:
        raise TriageError(f"snooze date {until.isoformat()} is not in the future")
    row = _row(conn, finding_id)
    if row["status"] != "open":
        raise TriageError(
            f"finding {finding_id} is {row['resolution'] or row['status']}: nothing to snooze",
            conflict=True,
        )
    if until_fix:
        if row["kind"] != "vulnerability":
            raise TriageError("only a vulnerability can wait for a fix; snooze it until a date")
        if row["details"].get("fixed_in"):
            fixed = ", ".join(row["details"]["fixed_in"])
            raise TriageError(
                f"finding {finding_id} already has a fix ({fixed}); snooze it until a date",
                conflict=True,
            )
    conn.execute(
        update(findings)
        .where(findings.c.id == finding_id)
        .values(
            triage="snoozed", triage_reason=None, triage_comment=comment, triage_by=actor,
            triage_at=now, snooze_until=until, snooze_until_fix=until_fix,
        )
    )  # fmt: skip
    _audit(
        conn, finding_id, at=now, actor=actor, action="snooze", comment=comment, until=until,
        until_fix=until_fix,
    )  # fmt: skip


def reopen(conn: Connection, finding_id: int, *, comment: str, actor: str, now: datetime) -> None:
    row = _row(conn, finding_id)
    if row["triage"] == "none":
        raise TriageError(f"finding {finding_id} is neither dismissed nor snoozed", conflict=True)
    conn.execute(
        update(findings)
        .where(findings.c.id == finding_id)
        .values(
            triage="none", triage_reason=None, triage_comment=comment, triage_by=actor,
            triage_at=now, snooze_until=None, snooze_until_fix=False,
        )
    )  # fmt: skip
    _audit(conn, finding_id, at=now, actor=actor, action="reopen", comment=comment)


def expire_snoozes(conn: Connection, now: datetime) -> dict[str, list[Change]]:
    """Reopen every snooze whose date has passed; the REOPENED changes by project."""
    rows = (
        conn.execute(
            select(findings).where(
                findings.c.triage == "snoozed",
                findings.c.snooze_until.is_not(None),
                findings.c.snooze_until <= now,
            )
        )
        .mappings()
        .all()
    )
    out: dict[str, list[Change]] = defaultdict(list)
    for row in rows:
        conn.execute(
            update(findings)
            .where(findings.c.id == row["id"])
            .values(triage="none", snooze_until=None, triage_by="depsentry", triage_at=now)
        )
        _audit(conn, row["id"], at=now, actor="depsentry", action="expire",
               comment=f"snoozed until {row['snooze_until'].isoformat()}")  # fmt: skip
        if row["status"] == "open":
            out[row["project"]].append(Change(ChangeKind.REOPENED, view_of(row)))
    return dict(out)
