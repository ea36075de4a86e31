"""The store's tables (SQLAlchemy Core). Alembic's migrations create exactly these; a test
compares the two so they cannot drift.

Times are stored as UTC (`UtcDateTime`), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from depsentry.daemon.store.engine import time_from_db, time_to_db, time_type

__all__ = ["metadata"]


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as naive UTC (SQLite has no time zones; PostgreSQL gets the same).
    How each database holds it is the dialect layer's (`engine.time_type`)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return time_type(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return time_to_db(value, dialect)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else time_from_db(value)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row per configured project (kept when it leaves the config: its history stays).
projects = Table(
    "projects",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("location", Text, nullable=False, default=""),
    Column("policy", String(500)),
    Column("baselined", Boolean, nullable=False, default=False),
    Column("last_attempt_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_result", String(20)),
    Column("last_error", Text),
    Column("last_run_id", Integer),
    Column("interrupted_streak", Integer, nullable=False, default=0),
    Column("dependencies", JSON),  # the last dependency set: what a re-match after a sync reads
    Column("dependencies_at", UtcDateTime),
    # When the policy first saw each finding key (its due-date clocks): {ISO time: [keys]}.
    Column("first_seen", JSON),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(100), nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("result", String(20), nullable=False),  # running | ok | failed | interrupted
    Column("error", Text),
    Column("duration", Float),
    Column("stats", JSON),
    Index(None, "project", "id"),
    Index(None, "result"),
)

# Alias groups: every advisory id that names the same vulnerability maps to one group. A group
# never changes its id or key once created; linking two groups folds the younger into the older.
alias_groups = Table(
    "alias_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

advisory_aliases = Table(
    "advisory_aliases",
    metadata,
    Column("alias", String(200), primary_key=True),
    Column("group_id", Integer, ForeignKey("alias_groups.id"), nullable=False, index=True),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # vulnerability | update | violation
    Column("package", String(200), nullable=False),
    # The third part of the identity: the alias group id, the update's target, the rule.
    Column("ident", String(200), nullable=False),
    Column("key", String(500), nullable=False),
    Column("status", String(20), nullable=False),  # open | resolved
    Column("resolution", String(20)),  # resolved | retracted | superseded
    Column("severity", String(20), nullable=False, default="unknown"),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("triage", String(20), nullable=False, default="none"),  # none | dismissed | snoozed
    Column("triage_reason", String(40)),
    Column("triage_comment", Text),
    Column("triage_by", String(200)),
    Column("triage_at", UtcDateTime),
    Column("snooze_until", UtcDateTime),
    Column("snooze_until_fix", Boolean, nullable=False, default=False),
    Column("details", JSON, nullable=False),  # the FindingView fields
    UniqueConstraint("project", "kind", "package", "ident"),
    Index(None, "project", "status"),
    Index(None, "kind", "ident"),
    Index(None, "triage", "snooze_until"),
)

severity_history = Table(
    "severity_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("finding_id", Integer, ForeignKey("findings.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("cvss", Float),
)

triage_audit = Table(
    "triage_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("finding_id", Integer, ForeignKey("findings.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),  # dismiss | snooze | reopen | expire | fix
    Column("reason", String(40)),
    Column("comment", Text),
    Column("until", UtcDateTime),
    Column("until_fix", Boolean, nullable=False, default=False),
)

# The daemon's own recurring jobs (advisory sync, reviews, expiry): what catch-up reads.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("last_attempt_at", UtcDateTime),
    Column("last_success_at", UtcDateTime),
    Column("last_result", String(20)),
    Column("last_error", Text),
    Column("info", JSON),
)

# The transactional outbox: written with the finding changes, read in `seq` order by the relay.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("project", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("run_id", Integer),
    Column("payload", Text, nullable=False),  # Event.to_json()
    Column("processed_at", UtcDateTime),
    Index(None, "processed_at", "seq"),
)

# One row per (outbox event, channel) the relay routed it to: what is sent, retried or given up.
# `payload` is the event as routed for that channel (filtered findings), so a restart or a config
# change never alters what an already-routed delivery says; `parts_sent` lets a multi-part
# message resume after the last confirmed part.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_seq", Integer, nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("project", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(20), nullable=False),  # pending | sent | failed
    Column("payload", Text, nullable=False),
    Column("critical", Boolean, nullable=False, default=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("hold_until", UtcDateTime),  # quiet hours: not before
    Column("next_attempt_at", UtcDateTime),  # backoff: the head of the channel waits
    Column("attempts", Integer, nullable=False, default=0),
    Column("parts_sent", Integer, nullable=False, default=0),
    Column("last_attempt_at", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("failed_at", UtcDateTime),
    Column("retried_at", UtcDateTime),  # `alerts retry`: the give-up clock starts again here
    Column("last_error", Text),
    Column("answer", Text),
    UniqueConstraint("event_id", "channel"),
    Index(None, "channel", "state", "id"),
    Index(None, "state"),
)

# Which findings each channel has been told about: resolved/retracted notes go only there.
alerted = Table(
    "alerted",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("project", String(100), primary_key=True),
    Column("key", String(500), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

# Every (channel, project) route that has had its baseline: a new route gets one.
routes = Table(
    "routes",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("project", String(100), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
)
