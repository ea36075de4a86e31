"""The relay's tables: one delivery per (event, channel), the findings each channel was told
about, and the routes that have had their baseline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hold_until", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("parts_sent", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("retried_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("event_id", "channel", name=op.f("uq_deliveries_event_id_channel")),
    )
    op.create_index(
        op.f("ix_deliveries_channel_state_id"), "deliveries", ["channel", "state", "id"]
    )
    op.create_index(op.f("ix_deliveries_state"), "deliveries", ["state"])
    op.create_table(
        "alerted",
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "project", "key", name=op.f("pk_alerted")),
    )
    op.create_table(
        "routes",
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "project", name=op.f("pk_routes")),
    )


def downgrade() -> None:
    op.drop_table("routes")
    op.drop_table("alerted")
    op.drop_index(op.f("ix_deliveries_state"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_channel_state_id"), table_name="deliveries")
    op.drop_table("deliveries")
