"""scheduling: any slot interval 5-240 in steps of 5, a horizon from day 0, calendar feeds

`schedule_settings.slot_interval` takes any multiple of 5 from 5 to 240 (a grid equal to any
offered duration, so 90-minute sessions come back to back); `max_advance_days` counts calendar
days in the coach's zone from 0 (today only) and may be NULL (no limit), and a new
`bookable_until` date is a fixed last bookable day. Every stored row satisfies the new
constraints. A new table, `calendar_subscriptions`, holds the SHA-256 of
each coach's secret calendar feed URL (one row per coach).

Revision ID: b7e2c41d9a15
Revises: b7e41c2d9a15
Create Date: 2026-12-07 07:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "b7e2c41d9a15"
down_revision: str | None = "b7e41c2d9a15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "schedule_settings"


def _replace(interval: str, advance: str, *, open_horizon: bool) -> None:
    """The two check constraints replaced, the horizon columns opened or closed (in batch
    mode, which SQLite needs)."""
    with op.batch_alter_table(_TABLE, schema=None) as batch_op:
        for name, condition in (("interval", interval), ("advance", advance)):
            batch_op.drop_constraint(op.f(f"ck_{_TABLE}_{name}"), type_="check")
            batch_op.create_check_constraint(op.f(f"ck_{_TABLE}_{name}"), condition)
        batch_op.alter_column(
            "max_advance_days", existing_type=sa.SmallInteger(), nullable=open_horizon
        )
        if open_horizon:
            batch_op.add_column(sa.Column("bookable_until", sa.Date(), nullable=True))
        else:
            batch_op.drop_column("bookable_until")


def upgrade() -> None:
    _replace(
        "slot_interval BETWEEN 5 AND 240 AND slot_interval % 5 = 0",
        "max_advance_days BETWEEN 0 AND 365",
        open_horizon=True,
    )
    op.create_table(
        "calendar_subscriptions",
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_calendar_subscriptions_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("coach_id", name=op.f("pk_calendar_subscriptions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_calendar_subscriptions_secret_hash")),
    )


def downgrade() -> None:
    op.drop_table("calendar_subscriptions")
    op.execute(
        f"UPDATE {_TABLE} SET slot_interval = 30 WHERE slot_interval NOT IN (5, 10, 15, 20, 30, 60)"
    )
    op.execute(f"UPDATE {_TABLE} SET max_advance_days = 365 WHERE max_advance_days IS NULL")
    op.execute(f"UPDATE {_TABLE} SET max_advance_days = 1 WHERE max_advance_days = 0")
    _replace(
        "slot_interval IN (5, 10, 15, 20, 30, 60)",
        "max_advance_days BETWEEN 1 AND 365",
        open_horizon=False,
    )
