"""session notes: every version of each booking's private and shared note

New table only: `note_versions`, one row per version (unique booking, audience, version), its
body sealed in the booking's vault scope.

Revision ID: f114c31196d8
Revises: 7b3d2e9f4a10
Create Date: 2026-12-07 01:18:34.133194
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "f114c31196d8"
down_revision: str | None = "7b3d2e9f4a10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "note_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_note_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_note_versions_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_versions")),
        sa.UniqueConstraint(
            "booking_id",
            "audience",
            "version",
            name=op.f("uq_note_versions_booking_id_audience_version"),
        ),
    )


def downgrade() -> None:
    op.drop_table("note_versions")
