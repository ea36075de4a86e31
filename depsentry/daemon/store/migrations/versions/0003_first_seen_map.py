"""First-seen dates as one map per project (`projects.first_seen`) instead of a row per key.

A project's policy clocks name every alias of every finding, five or six keys each: a first
scan wrote hundreds of rows per project, a third of the store's size and a fifth of the
daemon's CPU in a round of first scans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_projects = sa.table("projects", sa.column("name", sa.String), sa.column("first_seen", sa.JSON))
_rows = sa.table(
    "first_seen",
    sa.column("project", sa.String),
    sa.column("key", sa.String),
    sa.column("at", sa.DateTime),
)


def _iso(at: datetime) -> str:
    return at.replace(tzinfo=UTC).isoformat()  # stored naive UTC


def upgrade() -> None:
    op.add_column("projects", sa.Column("first_seen", sa.JSON(), nullable=True))
    bind = op.get_bind()
    maps: dict[str, dict[str, list[str]]] = {}
    query = sa.select(_rows.c.project, _rows.c.key, _rows.c.at).order_by(_rows.c.key)
    for project, key, at in bind.execute(query):
        maps.setdefault(project, {}).setdefault(_iso(at), []).append(key)
    for name, dates in maps.items():
        bind.execute(sa.update(_projects).where(_projects.c.name == name).values(first_seen=dates))
    op.drop_table("first_seen")


def downgrade() -> None:
    op.create_table(
        "first_seen",
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project", "key", name=op.f("pk_first_seen")),
    )
    bind = op.get_bind()
    query = sa.select(_projects.c.name, _projects.c.first_seen).where(
        _projects.c.first_seen.is_not(None)
    )
    rows = [
        {"project": name, "key": key, "at": datetime.fromisoformat(when).replace(tzinfo=None)}
        for name, dates in bind.execute(query)
        for when, keys in dates.items()
        for key in keys
    ]
    if rows:
        bind.execute(sa.insert(_rows), rows)
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("first_seen")
