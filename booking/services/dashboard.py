"""The coach dashboard: a coach's sessions, money, outcomes, rating, response times and
retention over the last months, read in one unit of work (the rules are
`booking.policy.dashboard`'s).

Every query is on one coach and bounded in time: bookings through `ix_bookings_coach_time`
(a condition on `blocked_from`, which is at most the buffer before a session's start, so a
day's margin loses nothing), ledger lines through `ix_ledger_transactions_coach`, reviews
through `ix_reviews_coach`, chat messages through the bookings they belong to. Clients appear
by first name only; chat bodies are never read (only who sent what when), so nothing private
is opened or audited.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import dashboard as rules
from booking.policy.states import Status
from booking.services.availability import own_coach
from booking.services.ledger import Figures, tally
from booking.services.subscriptions import first_name
from booking.storage import ledger as ledger_store
from booking.storage import reviews as review_store
from booking.storage.bookings import Booking
from booking.storage.messages import Message
from booking.storage.reviews import Review
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database

LISTED = 20  # sessions listed in `upcoming` and in `history`
# More than any buffer before a session (its start less `blocked_from`) and any chat's reach
# before its session's start: lets a bound on the start use the index on `blocked_from`.
MARGIN = timedelta(days=1)
NOT_SESSIONS = (Status.HELD.value, Status.EXPIRED.value)  # holds that never became sessions


@dataclass(frozen=True)
class SessionLine:
    booking_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    session_type: str
    status: str
    client_first_name: str


@dataclass(frozen=True)
class MonthEarnings:
    month: rules.Month
    currency: str
    figures: Figures


@dataclass(frozen=True)
class Responses:
    chat: int | None  # median seconds
    chat_answers: int


@dataclass(frozen=True)
class Dashboard:
    coach_id: uuid.UUID
    time_zone: str
    start: datetime  # of the period, which runs until `now`
    now: datetime
    months: list[rules.Month]
    upcoming: list[SessionLine]
    history: list[SessionLine]
    earnings: list[MonthEarnings]
    outcomes: rules.Outcomes
    rating: rules.Average  # all reviews until now
    trend: list[rules.Average]
    responses: Responses
    retention: rules.Retention


class Dashboards:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def of_coach(self, user_id: uuid.UUID, months: int) -> Dashboard:
        """The calling coach's dashboard over the last `months` months of their zone; 404
        `not_a_coach` without a coach profile."""
        now = self.clock.now()
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            zone = ZoneInfo(coach.time_zone)
            period = rules.months(now, zone, months)
            start = period[0].start
            labels = [m.label for m in period]
            upcoming = await _upcoming(session, coach.id, now)
            history = await _history(session, coach.id, start, now)
            counts = await _decided(session, coach.id, start, now)
            lines = await ledger_store.coach_lines(session, coach.id, since=start)
            ratings = await _ratings(session, coach.id, start, now)
            rooms = await _chats(session, coach.id, coach.user_id, start, now)
            completed, later = await _visits(session, coach.id, start, now)
            # The summary kept in step with the reviews (booking.services.reviews).
            rating = rules.Average(
                "all",
                None if coach.rating_count == 0 else coach.rating_x100 / 100,
                coach.rating_count,
            )
        figures = tally(lines, lambda at: rules.month_of(at, zone))
        currencies = sorted({coach.currency} | {currency for _, currency in figures})
        waits = [wait for room in rooms for wait in rules.chat_waits(room)]
        chat = rules.median(waits)
        return Dashboard(
            coach_id=coach.id,
            time_zone=coach.time_zone,
            start=start,
            now=now,
            months=period,
            upcoming=upcoming,
            history=history,
            earnings=[
                MonthEarnings(month, currency, figures.get((month.label, currency), Figures()))
                for month in period
                for currency in currencies
            ],
            outcomes=rules.outcome_rates(counts),
            rating=rating,
            trend=rules.monthly_average(
                ((rules.month_of(at, zone), stars) for at, stars in ratings), labels
            ),
            responses=Responses(None if chat is None else round(chat), len(waits)),
            retention=rules.retention(completed, later),
        )


def _session_query(
    coach_id: uuid.UUID,
) -> Select[uuid.UUID, datetime, datetime, str, str, str]:
    return (
        select(
            Booking.id,
            Booking.starts_at,
            Booking.ends_at,
            Booking.session_type,
            Booking.status,
            User.display_name,
        )
        .join(User, User.id == Booking.client_id)
        .where(Booking.coach_id == coach_id)
    )


async def _upcoming(session: AsyncSession, coach_id: uuid.UUID, now: datetime) -> list[SessionLine]:
    """The next confirmed sessions not started yet, soonest first."""
    rows = await session.execute(
        _session_query(coach_id)
        .where(
            Booking.blocked_from > now - MARGIN,
            Booking.status == Status.CONFIRMED.value,
            Booking.starts_at > now,
        )
        .order_by(Booking.starts_at, Booking.id)
        .limit(LISTED)
    )
    return [_line(*row) for row in rows]


async def _history(
    session: AsyncSession, coach_id: uuid.UUID, start: datetime, now: datetime
) -> list[SessionLine]:
    """The period's sessions that have ended, latest first, whatever became of them."""
    rows = await session.execute(
        _session_query(coach_id)
        .where(
            Booking.blocked_from >= start - MARGIN,
            Booking.blocked_from < now,
            Booking.starts_at >= start,
            Booking.ends_at <= now,
            Booking.status.not_in(NOT_SESSIONS),
        )
        .order_by(Booking.starts_at.desc(), Booking.id)
        .limit(LISTED)
    )
    return [_line(*row) for row in rows]


def _line(
    booking_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    session_type: str,
    status: str,
    client_name: str,
) -> SessionLine:
    return SessionLine(
        booking_id, starts_at, ends_at, session_type, status, first_name(client_name)
    )


async def _decided(
    session: AsyncSession, coach_id: uuid.UUID, start: datetime, now: datetime
) -> dict[str, int]:
    """How many of the period's sessions (by their end) ended in each decided status."""
    rows = await session.execute(
        select(Booking.status, func.count())
        .where(
            Booking.coach_id == coach_id,
            Booking.blocked_from >= start - MARGIN,
            Booking.blocked_from < now,
            Booking.ends_at >= start,
            Booking.ends_at <= now,
            Booking.status.in_([s.value for s in rules.DECIDED]),
        )
        .group_by(Booking.status)
    )
    return {status: int(count) for status, count in rows}


async def _ratings(
    session: AsyncSession, coach_id: uuid.UUID, start: datetime, now: datetime
) -> list[tuple[datetime, int]]:
    rows = await session.execute(
        select(Review.created_at, Review.rating).where(
            Review.coach_id == coach_id,
            review_store.SHOWN,  # a review an admin hid counts nowhere, the trend included
            Review.created_at >= start,
            Review.created_at <= now,
        )
    )
    return [(at, int(stars)) for at, stars in rows]


async def _chats(
    session: AsyncSession,
    coach_id: uuid.UUID,
    coach_user_id: uuid.UUID,
    start: datetime,
    now: datetime,
) -> list[list[rules.Said]]:
    """Each room's messages sent in the period, in `seq` order: when, and whether by the
    coach (never the body)."""
    rows = await session.execute(
        select(Message.booking_id, Message.sent_at, Message.sender)
        .join(Booking, Booking.id == Message.booking_id)
        .where(
            Booking.coach_id == coach_id,
            Booking.blocked_from >= start - MARGIN,
            Booking.blocked_from < now,
            Message.sent_at >= start,
            Message.sent_at <= now,
        )
        .order_by(Message.booking_id, Message.seq)
    )
    rooms: dict[uuid.UUID, list[rules.Said]] = defaultdict(list)
    for booking_id, sent_at, sender in rows:
        rooms[booking_id].append(rules.Said(sent_at, sender == coach_user_id))
    return list(rooms.values())


async def _visits(
    session: AsyncSession, coach_id: uuid.UUID, start: datetime, now: datetime
) -> tuple[list[rules.Visit], list[rules.Visit]]:
    """The period's completed sessions, and the bookings of their clients that may follow
    them (starting up to the retention window after the period)."""
    completed = [
        rules.Visit(client, starts_at, ends_at)
        for client, starts_at, ends_at in await session.execute(
            select(Booking.client_id, Booking.starts_at, Booking.ends_at).where(
                Booking.coach_id == coach_id,
                Booking.blocked_from >= start - MARGIN,
                Booking.blocked_from < now,
                Booking.ends_at >= start,
                Booking.ends_at <= now,
                Booking.status == Status.COMPLETED.value,
            )
        )
    ]
    clients = sorted({visit.client for visit in completed}, key=str)
    if not clients:
        return [], []
    later = [
        rules.Visit(client, starts_at, ends_at)
        for client, starts_at, ends_at in await session.execute(
            select(Booking.client_id, Booking.starts_at, Booking.ends_at).where(
                Booking.coach_id == coach_id,
                Booking.client_id.in_(clients),
                Booking.blocked_from >= start - MARGIN,
                Booking.blocked_from <= now + rules.RETENTION_WINDOW,
                Booking.status.in_([s.value for s in rules.REBOOKED]),
            )
        )
    ]
    return completed, later
