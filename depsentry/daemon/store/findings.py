"""Reconcile a project's stored findings with what the latest scan (or re-match) holds.

Each difference becomes a `Change`: NEW (OVERDUE for a violation), SEVERITY_RAISED,
FIX_AVAILABLE, RESOLVED (the dependency moved on) or RETRACTED (the dependency is still there
but the advisory no longer matches), and REOPENED when a snooze "until a fix" meets its fix.
Dismissed and snoozed findings are kept up to date but raise no changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from depsentry.daemon.events import Change, ChangeKind, FindingView
from depsentry.daemon.store.aliases import Learning, resolve_groups, vulnerability_key
from depsentry.daemon.store.desired import Desired, fold
from depsentry.daemon.store.schema import findings, severity_history, triage_audit
from depsentry.models import Severity

__all__ = ["Reconciled", "reconcile", "view_of"]

Identity = tuple[str, str, str]  # (kind, package, ident)


@dataclass(frozen=True, slots=True)
class Reconciled:
    changes: tuple[Change, ...]
    touched: int  # findings inserted or updated


def view_of(row: Any) -> FindingView:
    """The `FindingView` of a findings row (with its store id and first-seen date)."""
    view = FindingView.from_dict(dict(row["details"]))
    return replace(view, id=row["id"], key=row["key"], first_seen=row["first_seen"].isoformat())


def _with_groups(
    conn: Connection, desired: Sequence[Desired], now: datetime, cache: Learning | None
) -> list[Desired]:
    vulns = [d for d in desired if d.kind == "vulnerability"]
    id_sets = [(d.view.advisory_id or "", d.ids) for d in vulns]
    groups = resolve_groups(conn, id_sets, now, cache)
    out: dict[Identity, Desired] = {}
    for d, group in zip(vulns, groups, strict=True):
        key = vulnerability_key(d.package, group.key)
        grouped = replace(d, ident=str(group.id), grouped_key=key)
        identity = ("vulnerability", d.package, str(group.id))
        out[identity] = fold(out[identity], grouped) if identity in out else grouped
    result = list(out.values())
    result.extend(d for d in desired if d.kind != "vulnerability")
    return result


def _details(d: Desired) -> dict[str, Any]:
    """What a findings row keeps in `details`: the view but for its id and first-seen date (they
    are columns), with the finding's key."""
    data = d.view.to_dict()
    del data["id"], data["first_seen"]
    data["key"] = d.key
    return data


def _written(d: Desired, finding_id: int, first_seen: str) -> FindingView:
    """The view of `d` as stored: its key, id and first-seen date."""
    return replace(d.view, key=d.key, id=finding_id, first_seen=first_seen)


def _new_kind(kind: str) -> ChangeKind:
    return ChangeKind.OVERDUE if kind == "violation" else ChangeKind.NEW


def reconcile(
    conn: Connection,
    project: str,
    desired: Sequence[Desired],
    *,
    kinds: Collection[str],
    present: Collection[tuple[str, str]],
    now: datetime,
    seen: bool = True,
    groups: Learning | None = None,
    packages: Collection[str] | None = None,
) -> Reconciled:
    """Bring `project`'s findings of `kinds` in line with `desired`, in the caller's transaction.

    `seen` False (a re-match, not a scan) leaves `last_seen` of unchanged findings alone;
    `groups` caches alias groups across calls; `packages` limits it to those packages' findings
    (a re-match of only the pins a sync can have changed)."""
    grouped = _with_groups(conn, desired, now, groups)
    wanted = {(d.kind, d.package, d.ident or ""): d for d in grouped}
    query = select(findings).where(findings.c.project == project, findings.c.kind.in_(list(kinds)))
    if packages is not None:
        query = query.where(findings.c.package.in_(sorted(packages)))
    rows = {(r["kind"], r["package"], r["ident"]): r for r in conn.execute(query).mappings()}
    changes: list[Change] = []
    touched = 0
    unchanged: list[int] = []
    fresh = [d for identity, d in wanted.items() if identity not in rows]
    changes.extend(
        Change(_new_kind(d.kind), view) for d, view in _insert(conn, project, fresh, now)
    )
    touched += len(fresh)
    for identity, d in wanted.items():
        row = rows.get(identity)
        if row is None:
            continue
        if _same(row, d):
            unchanged.append(row["id"])
            continue
        else:
            changes.extend(_refresh(conn, row, d, now))
        touched += 1
    if unchanged and seen:
        for start in range(0, len(unchanged), 500):
            conn.execute(
                update(findings)
                .where(findings.c.id.in_(unchanged[start : start + 500]))
                .values(last_seen=now)
            )
    updated_packages = {d.package for d in wanted.values() if d.kind == "update"}
    for identity, row in rows.items():
        if identity in wanted or row["status"] != "open":
            continue
        change = _close(conn, row, present, updated_packages, now)
        touched += 1
        if change is not None:
            changes.append(change)
    return Reconciled(tuple(changes), touched)


def _insert(
    conn: Connection, project: str, new: Sequence[Desired], now: datetime
) -> list[tuple[Desired, FindingView]]:
    """Insert every new finding in one statement (a first scan inserts hundreds)."""
    if not new:
        return []
    rows = [
        {
            "project": project,
            "kind": d.kind,
            "package": d.package,
            "ident": d.ident or "",
            "key": d.key,
            "status": "open",
            "severity": d.severity,
            "first_seen": now,
            "last_seen": now,
            "triage": "none",
            "snooze_until_fix": False,
            "details": _details(d),
        }  # fmt: skip
        for d in new
    ]
    # One executemany, then the ids read back by identity: an ordered RETURNING is one INSERT
    # per row on SQLite, and an unordered batched one a new prepared statement per row count.
    conn.execute(insert(findings), rows)
    c = findings.c
    query = select(c.id, c.kind, c.package, c.ident).where(
        c.project == project, c.kind.in_(sorted({d.kind for d in new}))
    )
    by_identity = {(k, p, i): fid for fid, k, p, i in conn.execute(query)}
    ids = [by_identity[(d.kind, d.package, d.ident or "")] for d in new]
    conn.execute(
        insert(severity_history),
        [
            {"finding_id": fid, "at": now, "severity": d.severity, "cvss": d.view.cvss}
            for fid, d in zip(ids, new, strict=True)
        ],
    )
    first = now.isoformat()
    return [(d, _written(d, fid, first)) for fid, d in zip(ids, new, strict=True)]


def _same(row: Any, d: Desired) -> bool:
    """An open finding the scan sees exactly as stored (the common case: one bulk update)."""
    return bool(
        row["status"] == "open"
        and row["severity"] == d.severity
        and row["key"] == d.key
        and row["details"] == _details(d)
    )


def _refresh(conn: Connection, row: Any, d: Desired, now: datetime) -> list[Change]:
    view = _written(d, row["id"], row["first_seen"].isoformat())
    values: dict[str, Any] = {
        "last_seen": now,
        "severity": d.severity,
        "details": _details(d),
        "key": d.key,
    }
    triaged = row["triage"] != "none"
    changes: list[Change] = []
    if row["status"] != "open":
        values.update(status="open", resolution=None, resolved_at=None)
        if not triaged:
            changes.append(Change(_new_kind(d.kind), view))
    else:
        old = FindingView.from_dict(dict(row["details"]))
        if Severity(d.severity) > Severity(row["severity"]) and not triaged:
            changes.append(Change(ChangeKind.SEVERITY_RAISED, view, previous=row["severity"]))
        elif d.kind == "vulnerability" and not triaged and _exploitability_rose(old, view):
            # Same severity, but now in KEV or past the EPSS mark: `previous` None says so.
            changes.append(Change(ChangeKind.SEVERITY_RAISED, view, previous=None))
        if d.kind == "vulnerability" and not old.fixed_in and d.view.fixed_in:
            if row["triage"] == "snoozed" and row["snooze_until_fix"]:
                values.update(_untriage())
                _audit(conn, row["id"], now, "depsentry", "fix", f"fixed in {d.view.fixed_in[0]}")
                changes.append(Change(ChangeKind.REOPENED, view))
            elif not triaged:
                changes.append(Change(ChangeKind.FIX_AVAILABLE, view))
        if d.kind == "violation" and d.view.overdue and not old.overdue and not triaged:
            changes.append(Change(ChangeKind.OVERDUE, view))
    if d.severity != row["severity"] or d.view.cvss != row["details"].get("cvss"):
        conn.execute(
            insert(severity_history).values(
                finding_id=row["id"], at=now, severity=d.severity, cvss=d.view.cvss
            )
        )
    conn.execute(update(findings).where(findings.c.id == row["id"]).values(**values))
    return changes


EPSS_MARK = 0.1  # an EPSS probability crossing this counts as a rise (FIRST's "high" band)


def _exploitability_rose(old: FindingView, new: FindingView) -> bool:
    if new.kev and not old.kev:
        return True
    return (new.epss or 0.0) >= EPSS_MARK > (old.epss or 0.0)


def _untriage() -> dict[str, Any]:
    return {
        "triage": "none",
        "triage_reason": None,
        "triage_comment": None,
        "snooze_until": None,
        "snooze_until_fix": False,
    }


def _audit(
    conn: Connection, finding_id: int, now: datetime, actor: str, action: str, comment: str
) -> None:
    conn.execute(
        insert(triage_audit).values(
            finding_id=finding_id, at=now, actor=actor, action=action, comment=comment,
            until_fix=False,
        )
    )  # fmt: skip


def _close(
    conn: Connection,
    row: Any,
    present: Collection[tuple[str, str]],
    updated_packages: Collection[str],
    now: datetime,
) -> Change | None:
    view = view_of(row)
    versions = [v.strip() for v in (view.version or "").split(",") if v.strip()]
    still_there = any((row["package"], v) in present for v in versions)
    if row["kind"] == "vulnerability" and still_there:
        resolution, kind = "retracted", ChangeKind.RETRACTED
    elif row["kind"] == "update" and still_there and row["package"] in updated_packages:
        resolution, kind = "superseded", None  # a newer target replaced it: not news
    else:
        resolution, kind = "resolved", ChangeKind.RESOLVED
    conn.execute(
        update(findings)
        .where(findings.c.id == row["id"])
        .values(status="resolved", resolution=resolution, resolved_at=now)
    )
    if kind is None or row["triage"] != "none":
        return None
    return Change(kind, view)
