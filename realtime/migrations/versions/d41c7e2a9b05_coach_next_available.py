"""coaches: the next free slot the directory's cards show

Two nullable columns on `coaches`, `next_available_at` and `next_available_checked_at`,
filled by the `next-free-slots` job (booking/services/openings.py) for every listed coach
within a few seconds of the start.

Revision ID: d41c7e2a9b05
Revises: 6fdcc4a01084
Create Date: 2026-12-07 07:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "d41c7e2a9b05"
down_revision: str | None = "6fdcc4a01084"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coaches") as batch:
        batch.add_column(sa.Column("next_available_at", realtime.db.UtcDateTime(), nullable=True))
        batch.add_column(
            sa.Column("next_available_checked_at", realtime.db.UtcDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("coaches") as batch:
        batch.drop_column("next_available_checked_at")
        batch.drop_column("next_available_at")
