"""The first schema: projects, runs, alias groups, findings with their history and triage
audit, first-seen dates, job state and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alias_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_groups")),
        sa.UniqueConstraint("key", name=op.f("uq_alias_groups_key")),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("package", sa.String(length=200), nullable=False),
        sa.Column("ident", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("triage", sa.String(length=20), nullable=False),
        sa.Column("triage_reason", sa.String(length=40), nullable=True),
        sa.Column("triage_comment", sa.Text(), nullable=True),
        sa.Column("triage_by", sa.String(length=200), nullable=True),
        sa.Column("triage_at", sa.DateTime(), nullable=True),
        sa.Column("snooze_until", sa.DateTime(), nullable=True),
        sa.Column("snooze_until_fix", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint(
            "project",
            "kind",
            "package",
            "ident",
            name=op.f("uq_findings_project_kind_package_ident"),
        ),
    )
    op.create_index(op.f("ix_findings_kind_ident"), "findings", ["kind", "ident"], unique=False)
    op.create_index(
        op.f("ix_findings_project_status"), "findings", ["project", "status"], unique=False
    )
    op.create_index(
        op.f("ix_findings_triage_snooze_until"),
        "findings",
        ["triage", "snooze_until"],
        unique=False,
    )
    op.create_table(
        "first_seen",
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project", "key", name=op.f("pk_first_seen")),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("info", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_id")),
    )
    op.create_index(
        op.f("ix_outbox_processed_at_seq"), "outbox", ["processed_at", "seq"], unique=False
    )
    op.create_table(
        "projects",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("policy", sa.String(length=500), nullable=True),
        sa.Column("baselined", sa.Boolean(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("interrupted_streak", sa.Integer(), nullable=False),
        sa.Column("dependencies", sa.JSON(), nullable=True),
        sa.Column("dependencies_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projects")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_project_id"), "runs", ["project", "id"], unique=False)
    op.create_index(op.f("ix_runs_result"), "runs", ["result"], unique=False)
    op.create_table(
        "advisory_aliases",
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["alias_groups.id"],
            name=op.f("fk_advisory_aliases_group_id_alias_groups"),
        ),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_advisory_aliases")),
    )
    op.create_index(
        op.f("ix_advisory_aliases_group_id"), "advisory_aliases", ["group_id"], unique=False
    )
    op.create_table(
        "severity_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("cvss", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_severity_history_finding_id_findings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_severity_history")),
    )
    op.create_index(
        op.f("ix_severity_history_finding_id"), "severity_history", ["finding_id"], unique=False
    )
    op.create_table(
        "triage_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("until_fix", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_triage_audit_finding_id_findings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_audit")),
    )
    op.create_index(
        op.f("ix_triage_audit_finding_id"), "triage_audit", ["finding_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "triage_audit", "severity_history", "advisory_aliases", "runs", "projects", "outbox",
        "jobs", "first_seen", "findings", "alias_groups",
    ):  # fmt: skip
        op.drop_table(table)
