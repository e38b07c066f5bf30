"""reference data: the specialty list, badges and the first professional agreement

Revision ID: 0f88ab20523c
Revises: c3f9d12f172e
Create Date: 2026-11-26 07:52:49.900609
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from booking.storage.reference import initial_rows
from realtime.db import UtcDateTime

revision: str = "0f88ab20523c"
down_revision: str | None = "c3f9d12f172e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table, rows in initial_rows().items():
        columns = [
            sa.column(name, UtcDateTime() if isinstance(value, datetime) else None)
            for name, value in rows[0].items()
        ]
        op.bulk_insert(sa.table(table, *columns), rows)


def downgrade() -> None:
    for table in reversed(list(initial_rows())):
        op.execute(sa.text(f"DELETE FROM {table}"))
