"""Client reviews of coaches (1-5 stars), one per completed session, anonymous or under the
name the client chose to show (first name and initial), with the coach's one response; a
review an admin hid stays, with why, and counts nowhere."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_reviews_coach", "coach_id", "created_at", "id"),
        Index("uq_reviews_booking", "booking_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The completed session this review is about: one review each (None on reviews imported
    # without a session, as the demo's older ones).
    booking_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # The name shown on a review that is not anonymous, fixed when it was written (a first
    # name and an initial, `policy.reviews.public_name`); None on anonymous ones.
    author_name: Mapped[str | None] = mapped_column(String(60), default=None)
    coach_response: Mapped[str | None] = mapped_column(Text, default=None)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    hidden_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    hidden_reason: Mapped[str | None] = mapped_column(Text, default=None)


SHOWN = Review.hidden_at.is_(None)


async def totals(session: AsyncSession, coach_id: uuid.UUID) -> tuple[int, int]:
    """The sum of the coach's ratings and their number."""
    row = (
        await session.execute(
            select(func.coalesce(func.sum(Review.rating), 0), func.count()).where(
                Review.coach_id == coach_id, SHOWN
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def by_star(session: AsyncSession, coach_id: uuid.UUID) -> dict[int, int]:
    """How many reviews gave each number of stars, 1 to 5."""
    counts = dict.fromkeys(range(1, 6), 0)
    rows = await session.execute(
        select(Review.rating, func.count())
        .where(Review.coach_id == coach_id, SHOWN)
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
) -> list[Review]:
    """The coach's shown reviews, newest first; `before` is the (created_at, id) of the last
    review already shown."""
    query = (
        select(Review)
        .where(Review.coach_id == coach_id, SHOWN)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(tuple_(Review.created_at, Review.id) < tuple_(*before))
    return list(await session.scalars(query))


async def by_id(
    session: AsyncSession, review_id: uuid.UUID, *, lock: bool = False
) -> Review | None:
    return await session.get(Review, review_id, with_for_update=lock)


async def of_booking(session: AsyncSession, booking_id: uuid.UUID) -> Review | None:
    review: Review | None = await session.scalar(
        select(Review).where(Review.booking_id == booking_id)
    )
    return review


async def reviewed(session: AsyncSession, booking_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the bookings have a review."""
    if not booking_ids:
        return set()
    found = await session.scalars(
        select(Review.booking_id).where(Review.booking_id.in_(booking_ids))
    )
    return {booking_id for booking_id in found if booking_id is not None}
