"""Alias groups: every id an advisory goes by (GHSA, PYSEC, CVE, ...) maps to one group, so a
vulnerability keeps one identity however its records are linked over time.

Stability rules (Dependency-Track v5 keeps such groups by union-find, ADR-014): a group never
changes its id or key; a new alias joins the group it links to; when an alias links two
groups, the younger is folded into the older, and so are the findings that named it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from depsentry.daemon.store.engine import lock_aliases
from depsentry.daemon.store.schema import (
    advisory_aliases,
    alias_groups,
    findings,
    severity_history,
    triage_audit,
)

__all__ = ["Group", "GroupCache", "Learning", "resolve_groups", "vulnerability_key"]

_BATCH = 500


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    key: str


class GroupCache:
    """Alias -> group as committed: a round of a thousand scans asks about the same advisories
    again and again. A transaction learns into its own `Learning` (`begin`), which joins the
    cache only when it commits (`keep`); a fold empties the cache, since it moves aliases."""

    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self._lock = threading.Lock()

    def begin(self) -> Learning:
        return Learning(self.groups, self)

    def forget(self) -> None:
        """Drop everything at once: a fold moved aliases (even before it commits, a later write
        in the same shared transaction must not trust the old groups)."""
        with self._lock:
            self.groups.clear()

    def keep(self, learning: Learning) -> None:
        with self._lock:
            if learning.folded:
                self.groups.clear()
            else:
                self.groups.update(learning.learnt)


class Learning:
    """One transaction's view of a `GroupCache`."""

    def __init__(self, groups: dict[str, Group], owner: GroupCache | None = None):
        self.groups = groups
        self.owner = owner
        self.learnt: dict[str, Group] = {}
        self.folded = False

    def lookup(self, id_sets: Sequence[tuple[str, frozenset[str]]]) -> list[Group | None]:
        """Each set's group when all its ids are cached in one group; else None for that set."""
        get = self.groups.get
        out: list[Group | None] = []
        for preferred, ids in id_sets:
            group = get(preferred)
            out.append(group if group is not None and all(get(i) == group for i in ids) else None)
        return out

    def fold(self) -> None:
        self.folded = True
        if self.owner is not None:
            self.owner.forget()


def vulnerability_key(package: str, group_key: str) -> str:
    return f"vulnerability:{package}:{group_key}"


def _known(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        rows = conn.execute(
            select(advisory_aliases.c.alias, advisory_aliases.c.group_id).where(
                advisory_aliases.c.alias.in_(chunk)
            )
        )
        found.update((alias, group_id) for alias, group_id in rows)
    return found


def _group_ids(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        rows = conn.execute(
            select(alias_groups.c.key, alias_groups.c.id).where(alias_groups.c.key.in_(chunk))
        )
        found.update((key, gid) for key, gid in rows)
    return found


def _group_keys(conn: Connection, group_ids: set[int]) -> dict[int, str]:
    rows = conn.execute(
        select(alias_groups.c.id, alias_groups.c.key).where(alias_groups.c.id.in_(group_ids))
    )
    return dict(rows.all())


def resolve_groups(
    conn: Connection,
    id_sets: Sequence[tuple[str, frozenset[str]]],
    now: datetime,
    cache: Learning | None = None,
) -> list[Group]:
    """The group of each (preferred id, all ids) pair, creating, extending and folding groups.
    With `cache`, only the sets it cannot answer go to the database (unless one of them folds
    groups, which can move the answers of the others)."""
    id_sets = [(preferred, ids | {preferred}) for preferred, ids in id_sets]
    if cache is None:
        return _resolve(conn, id_sets, now, None)
    cached = cache.lookup(id_sets)
    misses = [i for i, group in enumerate(cached) if group is None]
    if len(misses) == len(id_sets):
        return _resolve(conn, id_sets, now, cache)
    folded = cache.folded
    found = _resolve(conn, [id_sets[i] for i in misses], now, cache) if misses else []
    if cache.folded and not folded:
        return _resolve(conn, id_sets, now, cache)
    for i, group in zip(misses, found, strict=True):
        cached[i] = group
    return [group for group in cached if group is not None]


def _resolve(
    conn: Connection,
    id_sets: Sequence[tuple[str, frozenset[str]]],
    now: datetime,
    cache: Learning | None,
) -> list[Group]:
    every = sorted({i for _, ids in id_sets for i in ids})
    known = _known(conn, every)
    folds = any(len({known[i] for i in ids if i in known}) > 1 for _, ids in id_sets)
    if len(known) < len(every) or folds:  # groups will change: one writer at a time
        lock_aliases(conn)
        known = _known(conn, every)
    keys = _group_keys(conn, set(known.values())) if known else {}
    _create_unknown(conn, id_sets, known, keys, now)
    for _, ids in id_sets:
        groups = {known[i] for i in ids if i in known}
        gid = min(groups)  # the oldest group survives
        for dead in sorted(groups - {gid}):
            if cache is not None:
                cache.fold()
            _fold(conn, dead, gid, keys[gid])
            for alias, owner in list(known.items()):
                if owner == dead:
                    known[alias] = gid
        missing = [i for i in sorted(ids) if i not in known]
        if missing:
            conn.execute(insert(advisory_aliases), [{"alias": i, "group_id": gid} for i in missing])
        for i in ids:
            known[i] = gid
    if cache is not None:
        cache.learnt.update((i, Group(gid, keys[gid])) for i, gid in known.items())
    # Read at the end: a later set may have folded the group an earlier one joined.
    return [Group(known[preferred], keys[known[preferred]]) for preferred, _ in id_sets]


def _create_unknown(
    conn: Connection,
    id_sets: Sequence[tuple[str, frozenset[str]]],
    known: dict[str, int],
    keys: dict[int, str],
    now: datetime,
) -> None:
    """One new group per cluster of sets that share no known id (a first scan creates many:
    they go in two statements instead of two per advisory)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    unknown = [(p, ids) for p, ids in id_sets if not any(i in known for i in ids)]
    for _, ids in unknown:
        first, *rest = sorted(ids)
        for other in rest:
            parent[find(other)] = find(first)
    clusters: dict[str, tuple[str, set[str]]] = {}
    for preferred, ids in unknown:
        root = find(preferred)
        key, members = clusters.setdefault(root, (preferred, set()))
        members.update(ids)
    if not clusters:
        return
    ordered = list(clusters.values())
    # One executemany, ids read back by key (why: findings._insert).
    conn.execute(insert(alias_groups), [{"key": k, "created_at": now} for k, _ in ordered])
    by_key = _group_ids(conn, [k for k, _ in ordered])
    gids = [by_key[k] for k, _ in ordered]
    aliases = []
    for gid, (key, members) in zip(gids, ordered, strict=True):
        keys[gid] = key
        for alias in sorted(members):
            known[alias] = gid
            aliases.append({"alias": alias, "group_id": gid})
    conn.execute(insert(advisory_aliases), aliases)


def _fold(conn: Connection, dead: int, survivor: int, survivor_key: str) -> None:
    """Move `dead`'s aliases and findings into `survivor`, then drop `dead`."""
    conn.execute(
        update(advisory_aliases)
        .where(advisory_aliases.c.group_id == dead)
        .values(group_id=survivor)
    )
    rows = (
        conn.execute(
            select(findings).where(
                findings.c.kind == "vulnerability", findings.c.ident == str(dead)
            )
        )
        .mappings()
        .all()
    )
    for row in rows:
        twin = (
            conn.execute(
                select(findings).where(
                    findings.c.project == row["project"],
                    findings.c.kind == "vulnerability",
                    findings.c.package == row["package"],
                    findings.c.ident == str(survivor),
                )
            )
            .mappings()
            .first()
        )
        if twin is None:
            conn.execute(
                update(findings)
                .where(findings.c.id == row["id"])
                .values(ident=str(survivor), key=vulnerability_key(row["package"], survivor_key))
            )
            continue
        values: dict[str, object] = {"first_seen": min(row["first_seen"], twin["first_seen"])}
        if twin["triage"] == "none" and row["triage"] != "none":
            for column in ("triage", "triage_reason", "triage_comment", "triage_by", "triage_at",
                           "snooze_until", "snooze_until_fix"):  # fmt: skip
                values[column] = row[column]
        if row["status"] == "open":
            values.update(status="open", resolution=None, resolved_at=None)
        conn.execute(update(findings).where(findings.c.id == twin["id"]).values(**values))
        for table in (severity_history, triage_audit):
            conn.execute(
                update(table).where(table.c.finding_id == row["id"]).values(finding_id=twin["id"])
            )
        conn.execute(delete(findings).where(findings.c.id == row["id"]))
    conn.execute(delete(alias_groups).where(alias_groups.c.id == dead))
