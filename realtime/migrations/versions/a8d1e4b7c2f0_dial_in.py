"""dial-in on video: a coach's video offering may let clients join by telephone
(`coach_offerings.dial_in`), and each booking keeps whether it may (`bookings.dial_in`, fixed at
the hold; true for every phone session, which always could)

Revision ID: a8d1e4b7c2f0
Revises: f6c0a8b3e5d9
Create Date: 2026-12-07 16:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8d1e4b7c2f0"
down_revision: str | None = "f6c0a8b3e5d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("coach_offerings", "bookings"):
        op.add_column(
            table, sa.Column("dial_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE bookings SET dial_in = true WHERE session_type = 'phone'")


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("dial_in")
    with op.batch_alter_table("coach_offerings") as batch:
        batch.drop_column("dial_in")
