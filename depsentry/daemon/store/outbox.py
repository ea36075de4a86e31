"""The transactional outbox: events are inserted by the same transaction as the finding changes
they describe, and read back in `seq` order by the relay (issue 13), which marks them processed.

An event's `id` is a UUIDv7 (time-ordered; receivers de-duplicate on it). Python has uuid7 only
from 3.14, so it is built here from RFC 9562's layout.
"""

from __future__ import annotations

import functools
import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from depsentry.daemon.events import Event
from depsentry.daemon.store.schema import outbox

__all__ = [
    "Pending", "add_event", "depth", "mark_processed", "pending", "review_events", "uuid7",
]  # fmt: skip


def uuid7() -> str:
    """A UUIDv7 string: 48 bits of Unix milliseconds, then random bits (RFC 9562 section 5.7)."""
    millis = time.time_ns() // 1_000_000
    value = (millis & ((1 << 48) - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return str(uuid.UUID(int=value))


@dataclass(frozen=True)
class Pending:
    """One outbox row: its position in the order, and the event (parsed when first asked for:
    the relay passes over the events no channel routes without reading their findings)."""

    seq: int
    id: str
    kind: str
    project: str
    payload: str
    processed_at: datetime | None = None

    @functools.cached_property
    def event(self) -> Event:
        return Event.from_json(self.payload)


def add_event(conn: Connection, event: Event, created_at: datetime) -> int:
    """Insert `event` in the caller's transaction; return its `seq`."""
    result = conn.execute(
        insert(outbox).values(
            id=event.id,
            kind=event.kind.value,
            project=event.project,
            created_at=created_at,
            run_id=event.run_id,
            payload=event.to_json(),
        )
    )
    seq = result.inserted_primary_key[0] if result.inserted_primary_key else None
    assert isinstance(seq, int)
    return seq


def pending(
    conn: Connection, *, after: int = 0, limit: int = 100, include_processed: bool = False
) -> list[Pending]:
    """Events with `seq` > `after`, oldest first (unprocessed only, unless asked)."""
    columns = (outbox.c.seq, outbox.c.id, outbox.c.kind, outbox.c.project, outbox.c.payload)
    query = select(*columns, outbox.c.processed_at).where(outbox.c.seq > after)
    if not include_processed:
        query = query.where(outbox.c.processed_at.is_(None))
    rows = conn.execute(query.order_by(outbox.c.seq).limit(limit))
    return [Pending(*row) for row in rows]


def mark_processed(conn: Connection, seqs: Sequence[int], at: datetime) -> int:
    """Mark these events handed on; return how many were still pending."""
    if not seqs:
        return 0
    result = conn.execute(
        update(outbox)
        .where(outbox.c.seq.in_(list(seqs)), outbox.c.processed_at.is_(None))
        .values(processed_at=at)
    )
    return int(result.rowcount or 0)


def depth(conn: Connection) -> int:
    """How many events wait for the relay."""
    count = conn.execute(
        select(func.count()).select_from(outbox).where(outbox.c.processed_at.is_(None))
    ).scalar_one()
    return int(count)


def review_events(conn: Connection, review: str) -> list[Event]:
    """Every digest event of one review (`extra.review`), processed or not, in order."""
    needle = f'"review": {json.dumps(review)}'
    rows = conn.execute(
        select(outbox.c.payload)
        .where(outbox.c.kind == "digest", outbox.c.payload.contains(needle, autoescape=True))
        .order_by(outbox.c.seq)
    ).scalars()
    return [Event.from_json(payload) for payload in rows]


def unrouted_baselines(conn: Connection) -> set[str]:
    """Projects whose first-scan baseline still waits for the relay."""
    rows = conn.execute(
        select(outbox.c.project)
        .where(outbox.c.kind == "baseline", outbox.c.processed_at.is_(None))
        .distinct()
    ).scalars()
    return set(rows)
