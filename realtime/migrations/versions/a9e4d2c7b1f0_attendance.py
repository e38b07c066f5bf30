"""attendance: each participant's stays in a session's room (join to leave, server time)

One new table, `attendance`; nothing existing is touched.

Revision ID: a9e4d2c7b1f0
Revises: c5d8e1f2a3b4
Create Date: 2026-12-07 10:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "a9e4d2c7b1f0"
down_revision: str | None = "c5d8e1f2a3b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("joined_at", realtime.db.UtcDateTime(), nullable=False),
        sa.Column("left_at", realtime.db.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_attendance_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
    )
    op.create_index("ix_attendance_booking", "attendance", ["booking_id", "joined_at"])


def downgrade() -> None:
    op.drop_index("ix_attendance_booking", table_name="attendance")
    op.drop_table("attendance")
