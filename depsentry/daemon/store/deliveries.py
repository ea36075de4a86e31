"""Deliveries: one row per (outbox event, channel), written when the relay routes an event and
updated as each send is confirmed, retried or given up.

Fan-out is idempotent (unique on event id and channel) and marks the outbox event processed in
the same transaction, so a crash at any point neither loses nor doubles a delivery. A delivery is
`sent` only after the service confirmed every part; `parts_sent` records each confirmed part, so
a kill between a send and its confirmation repeats at most that one part.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from depsentry.daemon.store.schema import alerted, deliveries, outbox, projects, routes

__all__ = [
    "Delivery",
    "Routed",
    "alerted_keys",
    "counts",
    "fan_out",
    "known_routes",
    "list_deliveries",
    "next_due",
]

STATES = ("pending", "sent", "failed")


@dataclass(frozen=True, slots=True)
class Routed:
    """One channel's share of an event, as the router decided it."""

    channel: str
    payload: str  # the routed Event's JSON
    critical: bool = False
    hold_until: datetime | None = None
    alerted: tuple[str, ...] = ()  # finding keys this message tells the channel about
    route: bool = False  # this is the route's baseline: remember the route
    event_id: str | None = None  # a fleet digest has its own id (one per review and channel)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    event_seq: int
    event_id: str
    channel: str
    project: str
    kind: str
    state: str
    payload: str
    critical: bool
    created_at: datetime
    hold_until: datetime | None
    next_attempt_at: datetime | None
    attempts: int
    parts_sent: int
    last_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    retried_at: datetime | None
    last_error: str | None
    answer: str | None

    @property
    def clock_start(self) -> datetime:
        """Where the give-up clock starts: creation, or the last manual retry."""
        return self.retried_at or self.created_at

    def to_json(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id, "event_id": self.event_id, "channel": self.channel,
            "project": self.project, "kind": self.kind, "state": self.state,
            "attempts": self.attempts, "parts_sent": self.parts_sent,
            "created_at": iso(self.created_at), "last_attempt_at": iso(self.last_attempt_at),
            "next_attempt_at": iso(self.next_attempt_at), "sent_at": iso(self.sent_at),
            "failed_at": iso(self.failed_at), "last_error": self.last_error,
            "answer": self.answer,
        }  # fmt: skip


def _delivery(row: object) -> Delivery:
    return Delivery(**{name: row._mapping[name] for name in Delivery.__dataclass_fields__})  # type: ignore[attr-defined]


def fan_out(
    conn: Connection,
    seq: int,
    event_id: str,
    project: str,
    kind: str,
    routed: Sequence[Routed],
    now: datetime,
) -> int:
    """Write the event's deliveries (once), remember what each channel was told, and mark the
    outbox event processed; return how many deliveries were new."""
    ids = sorted({share.event_id or event_id for share in routed})
    existing: set[tuple[str, str]] = set()
    if ids:
        rows = conn.execute(
            select(deliveries.c.event_id, deliveries.c.channel).where(
                deliveries.c.event_id.in_(ids)
            )
        )
        existing.update((eid, channel) for eid, channel in rows)
    added = 0
    for share in routed:
        this_id = share.event_id or event_id
        if (this_id, share.channel) in existing:
            continue
        existing.add((this_id, share.channel))
        conn.execute(
            insert(deliveries).values(
                event_seq=seq, event_id=this_id, channel=share.channel, project=project,
                kind=kind, state="pending", payload=share.payload, critical=share.critical,
                created_at=now, hold_until=share.hold_until, attempts=0, parts_sent=0,
            )
        )  # fmt: skip
        added += 1
        remember_alerted(conn, share.channel, project, share.alerted, now)
        if share.route:
            add_routes(conn, [(share.channel, project)], now)
    conn.execute(
        update(outbox)
        .where(outbox.c.seq == seq, outbox.c.processed_at.is_(None))
        .values(processed_at=now)
    )
    return added


def remember_alerted(
    conn: Connection, channel: str, project: str, keys: Iterable[str], now: datetime
) -> None:
    wanted = set(keys)
    if not wanted:
        return
    have = set(
        conn.execute(
            select(alerted.c.key).where(
                alerted.c.channel == channel,
                alerted.c.project == project,
                alerted.c.key.in_(sorted(wanted)),
            )
        ).scalars()
    )
    rows = [{"channel": channel, "project": project, "key": k, "at": now} for k in wanted - have]
    if rows:
        conn.execute(insert(alerted), sorted(rows, key=lambda r: str(r["key"])))


def alerted_keys(conn: Connection, project: str, channels: Collection[str]) -> dict[str, set[str]]:
    """The finding keys of `project` each channel has been told about."""
    out: dict[str, set[str]] = {c: set() for c in channels}
    if not channels:
        return out
    rows = conn.execute(
        select(alerted.c.channel, alerted.c.key).where(
            alerted.c.project == project, alerted.c.channel.in_(sorted(channels))
        )
    )
    for channel, key in rows:
        out[channel].add(key)
    return out


def known_routes(conn: Connection) -> set[tuple[str, str]]:
    return {(c, p) for c, p in conn.execute(select(routes.c.channel, routes.c.project))}


def add_routes(conn: Connection, pairs: Iterable[tuple[str, str]], now: datetime) -> None:
    have = known_routes(conn)
    for channel, project in sorted(set(pairs) - have):
        conn.execute(insert(routes).values(channel=channel, project=project, added_at=now))


def baselined_projects(conn: Connection) -> set[str]:
    return set(conn.execute(select(projects.c.name).where(projects.c.baselined)).scalars())


def next_due(conn: Connection, channel: str, now: datetime, limit: int = 1) -> list[Delivery]:
    """The oldest pending deliveries of `channel` not held by quiet hours (order per channel)."""
    rows = conn.execute(
        select(deliveries)
        .where(
            deliveries.c.channel == channel,
            deliveries.c.state == "pending",
            or_(deliveries.c.hold_until.is_(None), deliveries.c.hold_until <= now),
        )
        .order_by(deliveries.c.id)
        .limit(limit)
    )
    return [_delivery(row) for row in rows]


def next_release(conn: Connection, channel: str) -> datetime | None:
    """When the earliest held delivery of `channel` leaves quiet hours."""
    value = conn.execute(
        select(func.min(deliveries.c.hold_until)).where(
            deliveries.c.channel == channel, deliveries.c.state == "pending"
        )
    ).scalar()
    return value if isinstance(value, datetime) else None


def pending_channels(conn: Connection) -> set[str]:
    return set(
        conn.execute(
            select(deliveries.c.channel).where(deliveries.c.state == "pending").distinct()
        ).scalars()
    )


def record_part(conn: Connection, delivery_id: int, parts_sent: int, now: datetime) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(parts_sent=parts_sent, last_attempt_at=now)
    )


def mark_sent(conn: Connection, delivery_id: int, now: datetime, answer: str) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            state="sent", sent_at=now, last_attempt_at=now, answer=answer[:500],
            attempts=deliveries.c.attempts + 1, next_attempt_at=None,
        )
    )  # fmt: skip


def mark_retry(
    conn: Connection, delivery_id: int, now: datetime, next_at: datetime, error: str
) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            attempts=deliveries.c.attempts + 1, last_attempt_at=now, next_attempt_at=next_at,
            last_error=error[:1000],
        )
    )  # fmt: skip


def mark_failed(conn: Connection, delivery_id: int, now: datetime, error: str) -> None:
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id)
        .values(
            state="failed", failed_at=now, last_attempt_at=now, last_error=error[:1000],
            attempts=deliveries.c.attempts + 1, next_attempt_at=None,
        )
    )  # fmt: skip


def retry(conn: Connection, delivery_id: int, now: datetime) -> Delivery | None:
    """Put a failed delivery back in its channel's queue (None: no such delivery)."""
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    if row is None:
        return None
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id == delivery_id, deliveries.c.state == "failed")
        .values(state="pending", retried_at=now, next_attempt_at=None, hold_until=None,
                failed_at=None)
    )  # fmt: skip
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return _delivery(row)


def list_deliveries(
    conn: Connection, *, state: str | None = None, channel: str | None = None, limit: int = 100
) -> list[Delivery]:
    query = select(deliveries)
    if state is not None:
        query = query.where(deliveries.c.state == state)
    if channel is not None:
        query = query.where(deliveries.c.channel == channel)
    rows = conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit))
    return [_delivery(row) for row in rows]


def counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Deliveries per channel and state."""
    out: dict[str, dict[str, int]] = {}
    rows = conn.execute(
        select(deliveries.c.channel, deliveries.c.state, func.count()).group_by(
            deliveries.c.channel, deliveries.c.state
        )
    )
    for channel, state, n in rows:
        out.setdefault(channel, dict.fromkeys(STATES, 0))[state] = int(n)
    return out


def oldest_pending(conn: Connection) -> datetime | None:
    value = conn.execute(
        select(func.min(deliveries.c.created_at)).where(and_(deliveries.c.state == "pending"))
    ).scalar()
    return value if isinstance(value, datetime) else None
