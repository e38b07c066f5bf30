"""Client reviews of coaches (1-5 stars), optionally anonymous, with the coach's response."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    Text,
    Uuid,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.auth.models import User
from realtime.db import Base, UtcDateTime, new_id


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_reviews_coach", "coach_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The completed session this review is about (required once bookings exist, issue 3).
    booking_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    coach_response: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def totals(session: AsyncSession, coach_id: uuid.UUID) -> tuple[int, int]:
    """The sum of the coach's ratings and their number."""
    row = (
        await session.execute(
            select(func.coalesce(func.sum(Review.rating), 0), func.count()).where(
                Review.coach_id == coach_id
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def by_star(session: AsyncSession, coach_id: uuid.UUID) -> dict[int, int]:
    """How many reviews gave each number of stars, 1 to 5."""
    counts = dict.fromkeys(range(1, 6), 0)
    rows = await session.execute(
        select(Review.rating, func.count())
        .where(Review.coach_id == coach_id)
        .group_by(Review.rating)
    )
    for rating, count in rows:
        counts[int(rating)] = int(count)
    return counts


async def newest(
    session: AsyncSession,
    coach_id: uuid.UUID,
    limit: int,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[tuple[Review, str | None]]:
    """The coach's reviews, newest first, each with its author's display name; `before` is
    the (created_at, id) of the last review already shown."""
    query = (
        select(Review, User.display_name)
        .outerjoin(User, User.id == Review.client_id)
        .where(Review.coach_id == coach_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*before))
    return list(await session.execute(query))
