"""imported calendars: a coach's own calendars and the busy intervals read from them

Two new tables: `imported_calendars` (a row per connected calendar, its source sealed, the
outcome of its last read and a refresh lease) and `imported_busy` (start and end of each busy
interval, nothing else). Nothing existing is touched.

Revision ID: c5d8e1f2a3b4
Revises: b7e2c41d9a15
Create Date: 2026-12-07 07:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "c5d8e1f2a3b4"
down_revision: str | None = "b7e2c41d9a15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "imported_calendars",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("last_success_at", realtime.db.UtcDateTime(), nullable=True),
        sa.Column("last_attempt_at", realtime.db.UtcDateTime(), nullable=False),
        sa.Column("busy_count", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", realtime.db.UtcDateTime(), nullable=True),
        sa.Column("created_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_imported_calendars_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_calendars")),
    )
    op.create_index(op.f("ix_imported_calendars_coach_id"), "imported_calendars", ["coach_id"])
    op.create_table(
        "imported_busy",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("calendar_id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", realtime.db.UtcDateTime(), nullable=False),
        sa.Column("ends_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["imported_calendars.id"],
            name=op.f("fk_imported_busy_calendar_id_imported_calendars"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_imported_busy_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_busy")),
    )
    op.create_index(op.f("ix_imported_busy_calendar_id"), "imported_busy", ["calendar_id"])
    op.create_index("ix_imported_busy_coach", "imported_busy", ["coach_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_imported_busy_coach", table_name="imported_busy")
    op.drop_index(op.f("ix_imported_busy_calendar_id"), table_name="imported_busy")
    op.drop_table("imported_busy")
    op.drop_index(op.f("ix_imported_calendars_coach_id"), table_name="imported_calendars")
    op.drop_table("imported_calendars")
