"""reviews of sessions: one review per booking, the name it shows, the coach's response time,
and an admin's hiding (kept, with the reason)

Adds columns to `reviews` and a unique index on `booking_id`; existing reviews that are not
anonymous get the public name (first name and initial) of their author.

Revision ID: b3f7c1d9e2a6
Revises: a9e4d2c7b1f0
Create Date: 2026-12-07 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db
from booking.policy.reviews import public_name

revision: str = "b3f7c1d9e2a6"
down_revision: str | None = "a9e4d2c7b1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("author_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("responded_at", realtime.db.UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("hidden_at", realtime.db.UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("hidden_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
    op.create_index("uq_reviews_booking", "reviews", ["booking_id"], unique=True)
    bind = op.get_bind()
    named = bind.execute(
        sa.text(
            "SELECT reviews.id, users.display_name FROM reviews "
            "JOIN users ON users.id = reviews.client_id WHERE NOT reviews.anonymous"
        )
    ).all()
    reviews = sa.table("reviews", sa.column("id", sa.Uuid()), sa.column("author_name"))
    for review_id, display_name in named:
        bind.execute(
            reviews.update()
            .where(reviews.c.id == review_id)
            .values(author_name=public_name(display_name))
        )


def downgrade() -> None:
    op.drop_index("uq_reviews_booking", table_name="reviews")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("hidden_reason")
        batch.drop_column("hidden_by")
        batch.drop_column("hidden_at")
        batch.drop_column("responded_at")
        batch.drop_column("author_name")
