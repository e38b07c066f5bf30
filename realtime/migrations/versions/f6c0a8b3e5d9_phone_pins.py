"""phone pins: each participant's dial-in PIN for a phone session (keyed hash to find it,
sealed to show it again)

One new table; nothing existing is touched.

Revision ID: f6c0a8b3e5d9
Revises: e5b9f7a2d4c8
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "f6c0a8b3e5d9"
down_revision: str | None = "e5b9f7a2d4c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_pins",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("pin", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_phone_pins_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_pins")),
        sa.UniqueConstraint("booking_id", "user_id", name=op.f("uq_phone_pins_booking_id_user_id")),
    )
    op.create_index("uq_phone_pins_digest", "phone_pins", ["digest"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_phone_pins_digest", table_name="phone_pins")
    op.drop_table("phone_pins")
