"""resources: links and files shared into sessions, and coaches' libraries

Only a new table, `resources`: a row per shared link or file (`booking_id` set) or library item
(`booking_id` null); its title, link or file name sealed in `meta`; a file's bytes sealed in the
blob store under the row's id. Nothing existing is touched.

Revision ID: b7e41c2d9a15
Revises: d41c7e2a9b05
Create Date: 2026-12-07 07:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "b7e41c2d9a15"
down_revision: str | None = "d41c7e2a9b05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("meta", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("created_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_resources_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_resources_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    op.create_index("ix_resources_booking", "resources", ["booking_id", "created_at"])
    op.create_index("ix_resources_library", "resources", ["owner_id", "booking_id"])


def downgrade() -> None:
    op.drop_index("ix_resources_library", table_name="resources")
    op.drop_index("ix_resources_booking", table_name="resources")
    op.drop_table("resources")
