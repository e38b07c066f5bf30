"""Reviews: the client of a completed session writes one, the coach answers it once, an admin
hides an abusive one (kept, with the reason, audited). Each change keeps the coach's rating,
its spread and the directory's relevance in step; reading pages newest first, anonymous
reviews without a name and the others under a first name and initial."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import cursors, verification
from booking.policy.ranking import summarise
from booking.policy.reviews import REVIEWABLE, public_name
from booking.storage import bookings as booking_store
from booking.storage import coaches as coach_store
from booking.storage import reviews as review_store
from booking.storage.coaches import Coach
from booking.storage.reviews import Review
from realtime.audit import Audit
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import BadRequest, Code, Conflict, NotFound

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
    responded_at: datetime | None
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
    relevance score up to date (the coach row is locked, so concurrent reviews add up). A
    review that is not anonymous shows its author's first name and initial."""
    if not 1 <= rating <= 5:
        raise ValueError("ratings are 1 to 5 stars")
    coach = await coach_store.by_id(session, coach_id, lock=True)
    if coach is None:
        raise NotFound(Code.COACH_NOT_FOUND, f"No coach has id {coach_id}.")
    author = None
    if not anonymous and client_id is not None:
        name = await session.scalar(select(User.display_name).where(User.id == client_id))
        author = public_name(name or "")
    review = Review(
        coach_id=coach_id,
        client_id=client_id,
        booking_id=booking_id,
        rating=rating,
        text=text,
        anonymous=anonymous,
        author_name=author,
        created_at=at,
    )
    session.add(review)
    await session.flush()
    await _rerate(session, coach)
    return review


async def _rerate(session: AsyncSession, coach: Coach) -> None:
    """The coach's rating, count and relevance from their shown reviews (coach row locked)."""
    total, count = await review_store.totals(session, coach.id)
    summary = summarise(total, count)
    coach.rating_x100 = summary.rating_x100
    coach.rating_count = summary.rating_count
    coach.rank_score = summary.rank_score


async def rating_summary(
    session: AsyncSession, coach: Coach, newest: int
) -> tuple[RatingSummary, list[ReviewView]]:
    """The coach's rating with its spread over 1-5 stars, and their newest reviews."""
    by_star = await review_store.by_star(session, coach.id)
    rows = await review_store.newest(session, coach.id, newest)
    average = coach.rating_x100 / 100 if coach.rating_count else None
    return RatingSummary(average, coach.rating_count, by_star), [view(r) for r in rows]


def view(review: Review) -> ReviewView:
    return ReviewView(
        id=review.id,
        rating=review.rating,
        text=review.text,
        anonymous=review.anonymous,
        client_name=None if review.anonymous else review.author_name,
        coach_response=review.coach_response,
        responded_at=review.responded_at,
        created_at=review.created_at,
    )


class Reviews:
    def __init__(
        self, db: Database, clock: Clock, cursor_key: bytes, audit: Audit | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.cursor_key = cursor_key
        self.audit = audit

    async def write(
        self,
        client_id: uuid.UUID,
        booking_id: uuid.UUID,
        *,
        rating: int,
        text: str,
        anonymous: bool,
    ) -> ReviewView:
        """The client's review of their completed session, once. 404 for a booking that is
        not the caller's as its client (a coach cannot review their own session); 409 before
        the session is completed, or when it has its review."""
        if not 1 <= rating <= 5:
            raise BadRequest(Code.VALIDATION_FAILED, "A rating is 1 to 5 stars.")
        async with self.db.session() as session:
            booking = await booking_store.by_id(session, booking_id, lock=True)
            if booking is None or booking.client_id != client_id:
                raise NotFound(Code.BOOKING_NOT_FOUND, f"You have no booking with id {booking_id}.")
            if booking.status != REVIEWABLE.value:
                raise Conflict(
                    Code.REVIEW_NOT_ALLOWED,
                    f"Only a completed session is reviewed; this one is {booking.status}.",
                )
            if await review_store.of_booking(session, booking_id) is not None:
                raise Conflict(Code.ALREADY_REVIEWED, "You have reviewed this session already.")
            review = await record_review(
                session,
                coach_id=booking.coach_id,
                client_id=client_id,
                booking_id=booking_id,
                rating=rating,
                text=text.strip(),
                anonymous=anonymous,
                at=self.clock.now(),
            )
            return view(review)

    async def respond(
        self, coach_user_id: uuid.UUID, review_id: uuid.UUID, text: str
    ) -> ReviewView:
        """The reviewed coach's one public answer. 404 for a review of another coach (or a
        hidden one); 409 when it has its answer."""
        if not text.strip():
            raise BadRequest(Code.VALIDATION_FAILED, "A response has some text.")
        async with self.db.session() as session:
            review = await review_store.by_id(session, review_id, lock=True)
            coach = None if review is None else await coach_store.by_id(session, review.coach_id)
            if (
                review is None
                or coach is None
                or coach.user_id != coach_user_id
                or review.hidden_at
            ):
                raise NotFound(Code.REVIEW_NOT_FOUND, f"You have no review with id {review_id}.")
            if review.coach_response is not None:
                raise Conflict(Code.ALREADY_RESPONDED, "You have answered this review already.")
            review.coach_response = text.strip()
            review.responded_at = self.clock.now()
            return view(review)

    async def hide(
        self, admin_id: uuid.UUID, review_id: uuid.UUID, reason: str, *, address: str | None
    ) -> ReviewView:
        """An admin hides an abusive review: it is kept, with who hid it, when and why, and
        counts no more in the coach's rating. Audited. 409 when it is hidden already."""
        if not reason.strip():
            raise BadRequest(Code.VALIDATION_FAILED, "Hiding a review takes a reason.")
        async with self.db.session() as session:
            review = await review_store.by_id(session, review_id, lock=True)
            if review is None:
                raise NotFound(Code.REVIEW_NOT_FOUND, f"No review has id {review_id}.")
            if review.hidden_at is not None:
                raise Conflict(Code.ALREADY_HIDDEN, "This review is hidden already.")
            coach = await coach_store.by_id(session, review.coach_id, lock=True)
            review.hidden_at = self.clock.now()
            review.hidden_by = admin_id
            review.hidden_reason = reason.strip()
            await session.flush()
            if coach is not None:
                await _rerate(session, coach)
            hidden = view(review)
        if self.audit is not None:
            await self.audit.record(
                actor_id=admin_id,
                action="review.hide",
                booking_id=review.booking_id,
                item_id=f"review:{review_id}",
                address=address,
            )
        return hidden

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
        items = [view(r) for r in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
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
