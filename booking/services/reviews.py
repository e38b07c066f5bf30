"""Reviews: recording one keeps the coach's rating and relevance in step; reading them pages
newest first, anonymous ones without the client's name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import cursors, verification
from booking.policy.ranking import summarise
from booking.storage import coaches as coach_store
from booking.storage import reviews as review_store
from booking.storage.coaches import Coach
from booking.storage.reviews import Review
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import BadRequest, Code, NotFound

ORDERING = "reviews"


@dataclass(frozen=True)
class Rating:
    """Average stars (two decimals; None without reviews) and the number of reviews."""

    average: float | None
    count: int


@dataclass(frozen=True)
class RatingSummary(Rating):
    by_star: dict[int, int]


@dataclass(frozen=True)
class ReviewView:
    id: uuid.UUID
    rating: int
    text: str
    anonymous: bool
    client_name: str | None
    coach_response: str | None
    created_at: datetime


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewView]
    next_cursor: str | None


async def record_review(
    session: AsyncSession,
    *,
    coach_id: uuid.UUID,
    client_id: uuid.UUID | None,
    rating: int,
    at: datetime,
    text: str = "",
    anonymous: bool = False,
    booking_id: uuid.UUID | None = None,
) -> Review:
    """Add a review inside the caller's transaction and bring the coach's rating, count and
    relevance score up to date (the coach row is locked, so concurrent reviews add up)."""
    if not 1 <= rating <= 5:
        raise ValueError("ratings are 1 to 5 stars")
    coach = await coach_store.by_id(session, coach_id, lock=True)
    if coach is None:
        raise NotFound(Code.COACH_NOT_FOUND, f"No coach has id {coach_id}.")
    review = Review(
        coach_id=coach_id,
        client_id=client_id,
        booking_id=booking_id,
        rating=rating,
        text=text,
        anonymous=anonymous,
        created_at=at,
    )
    session.add(review)
    await session.flush()
    total, count = await review_store.totals(session, coach_id)
    summary = summarise(total, count)
    coach.rating_x100 = summary.rating_x100
    coach.rating_count = summary.rating_count
    coach.rank_score = summary.rank_score
    return review


async def rating_summary(
    session: AsyncSession, coach: Coach, newest: int
) -> tuple[RatingSummary, list[ReviewView]]:
    """The coach's rating with its spread over 1-5 stars, and their newest reviews."""
    by_star = await review_store.by_star(session, coach.id)
    rows = await review_store.newest(session, coach.id, newest)
    average = coach.rating_x100 / 100 if coach.rating_count else None
    return RatingSummary(average, coach.rating_count, by_star), [_view(r, n) for r, n in rows]


def _view(review: Review, client_name: str | None) -> ReviewView:
    return ReviewView(
        id=review.id,
        rating=review.rating,
        text=review.text,
        anonymous=review.anonymous,
        client_name=None if review.anonymous else client_name,
        coach_response=review.coach_response,
        created_at=review.created_at,
    )


class Reviews:
    def __init__(self, db: Database, clock: Clock, cursor_key: bytes) -> None:
        self.db = db
        self.clock = clock
        self.cursor_key = cursor_key

    async def record(
        self,
        *,
        coach_id: uuid.UUID,
        client_id: uuid.UUID | None,
        rating: int,
        text: str = "",
        anonymous: bool = False,
        booking_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """`record_review` in a transaction of its own, at the clock's time."""
        async with self.db.session() as session:
            review = await record_review(
                session,
                coach_id=coach_id,
                client_id=client_id,
                rating=rating,
                at=self.clock.now(),
                text=text,
                anonymous=anonymous,
                booking_id=booking_id,
            )
            return review.id

    async def page(
        self,
        coach_id: uuid.UUID,
        *,
        viewer: uuid.UUID | None,
        is_admin: bool,
        limit: int,
        cursor: str | None,
    ) -> ReviewPage:
        """The coach's reviews, newest first (visible as the coach's profile is)."""
        before = self._position(cursor) if cursor else None
        async with self.db.session() as session:
            coach = await coach_store.by_id(session, coach_id)
            if coach is None or not (
                verification.listed(coach.verification_status, coach.reverify_by, self.clock.now())
                or is_admin
                or coach.user_id == viewer
            ):
                raise NotFound(Code.COACH_NOT_FOUND, f"No listed coach has id {coach_id}.")
            rows = await review_store.newest(session, coach_id, limit + 1, before)
        items = [_view(r, n) for r, n in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1][0]
            next_cursor = cursors.encode(
                self.cursor_key, ORDERING, [last.created_at.isoformat(), str(last.id)]
            )
        return ReviewPage(items, next_cursor)

    def _position(self, cursor: str) -> tuple[datetime, uuid.UUID]:
        try:
            at, review_id = cursors.decode(self.cursor_key, ORDERING, cursor)
            return datetime.fromisoformat(str(at)), uuid.UUID(str(review_id))
        except ValueError:
            raise BadRequest(
                Code.INVALID_CURSOR, "The cursor is not one this server gave out for this list."
            ) from None
