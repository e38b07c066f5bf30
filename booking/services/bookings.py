"""Holding a slot (step 1 of booking), reading bookings, and freeing expired holds.

A hold is a booking in status `held` until `hold_expires_at`. The slot is checked against the
rulebook (booking.policy.slots) and against live bookings, and the database has the last word:
its overlap guard refuses a second live booking over the same time, whatever the timing, and
that refusal is answered as `slot_taken` like the check in Python.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from booking.money import Money
from booking.policy import holds, slots, states, verification
from booking.policy import sessions as sessions_policy
from booking.policy.pricing import session_price
from booking.policy.slots import Interval
from booking.services.calendars import CalendarFeed, calendar_near
from booking.storage import bookings as store
from booking.storage import calendars as calendar_store
from booking.storage import messages as message_store
from booking.storage import reviews as review_store
from booking.storage.bookings import Booking
from booking.storage.calendars import CoachFacts
from booking.storage.coaches import Coach
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database, new_id, retrying
from realtime.errors import (
    AppError,
    Code,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unprocessable,
)

log = logging.getLogger(__name__)

# Work done in a hold's transaction after the hold is written (see `Bookings.place_hold`).
BeforeCommit = Callable[[AsyncConnection, "BookingView"], Awaitable[None]]

_HELD_ACTIONS = sorted(e.value for e in states.accepts(states.Status.HELD))


@dataclass(frozen=True)
class BookingView:
    id: uuid.UUID
    coach_id: uuid.UUID
    coach_name: str
    client_id: uuid.UUID
    session_type: str
    duration: int
    starts_at: datetime
    ends_at: datetime
    status: str
    hold_expires_at: datetime | None
    price: Money
    commission_bps: int
    created_at: datetime
    actions: list[str]
    # The client's display name, so the coach sees whom they meet (None only in the answer to
    # a hold, which the client makes themselves).
    client_name: str | None = None
    # Chat messages the other participant sent that the caller has not read (listings only).
    unread_messages: int = 0
    # Whether the session has its client's review (listings only).
    reviewed: bool = False
    # Whether its participants may also join by telephone (docs/phone.md).
    dial_in: bool = False


@dataclass(frozen=True)
class Party:
    """Who is asking: a user, and whether they are an admin (who may read any booking)."""

    user_id: uuid.UUID
    is_admin: bool = False


def view(booking: Booking, coach: Coach, client_name: str, now: datetime) -> BookingView:
    """The booking as its participants see it at `now` (the actions depend on the time: a
    session that has started can no longer be canceled or moved)."""
    return BookingView(
        client_name=client_name,
        id=booking.id,
        coach_id=booking.coach_id,
        coach_name=coach.display_name,
        client_id=booking.client_id,
        session_type=booking.session_type,
        duration=booking.duration,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        status=booking.status,
        hold_expires_at=booking.hold_expires_at if booking.status == "held" else None,
        price=Money(booking.price_minor, booking.currency),
        commission_bps=booking.commission_bps,
        created_at=booking.created_at,
        dial_in=booking.dial_in,
        actions=sorted(
            e.value
            for e in states.offered(states.Status(booking.status), started=now >= booking.starts_at)
        ),
    )


class Bookings:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        feed: CalendarFeed,
        *,
        hold_minutes: int,
        limits: holds.HoldLimits,
    ) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed
        self.hold = timedelta(minutes=hold_minutes)
        self.limits = limits

    async def place_hold(
        self,
        client_id: uuid.UUID,
        coach_id: uuid.UUID,
        start: datetime,
        session_type: str,
        duration: int,
        *,
        before_commit: BeforeCommit | None = None,
    ) -> BookingView:
        """Step 1: hold a free slot for `hold_minutes` while the client pays. `before_commit`
        runs in the hold's transaction once the hold is written (the API records its answer
        to an `Idempotency-Key` there); if it raises, nothing is held."""
        result, released = await retrying(
            lambda: self._place_hold(
                client_id, coach_id, start, session_type, duration, before_commit
            )
        )
        log.info("booking %s held for coach %s", result.id, coach_id)
        for old in released:
            await self.feed.slots_changed(coach_id, old.starts_at, old.ends_at, "released")
        await self.feed.slots_changed(coach_id, result.starts_at, result.ends_at, "held")
        return result

    async def _place_hold(
        self,
        client_id: uuid.UUID,
        coach_id: uuid.UUID,
        start: datetime,
        session_type: str,
        duration: int,
        before_commit: BeforeCommit | None,
    ) -> tuple[BookingView, list[store.Expired]]:
        """One transaction of Core statements (this is the busiest write): the coach's facts
        and calendar lock, their calendar near the slot, the insert and its event."""
        now = self.clock.now()
        try:
            async with self.db.transaction() as conn:
                coach = await bookable(
                    conn, coach_id, session_type, duration, now, lock=True, client_id=client_id
                )
                if coach.user_id == client_id:
                    raise Forbidden(Code.CANNOT_BOOK_SELF, "Coaches cannot book themselves.")
                end = start + timedelta(minutes=duration)
                window = Interval(start, end)
                zone = ZoneInfo(coach.time_zone)
                counting = calendar_store.ClientHolds(client_id, now, now - self.limits.cooldown)
                schedule, busy = await calendar_near(
                    conn, coach.id, zone, window, now, client=counting
                )
                self._check_limits(busy.holds, now)
                free = slots.is_free(schedule, start, duration, now=now, busy=busy.live)
                check_slot(schedule, start, duration, now, on_grid=free)
                if not free:
                    raise _taken()
                guard = slots.blocked(start, end, schedule)
                released = await store.expire(conn, busy.stale_over(guard), now)
                price = session_price(Money(coach.rate_minor or 0, coach.currency), duration)
                dial_in = sessions_policy.dial_in(session_type, offered=bool(coach.dial_in))
                held = BookingView(
                    id=new_id(),
                    coach_id=coach.id,
                    coach_name=coach.display_name,
                    client_id=client_id,
                    session_type=session_type,
                    duration=duration,
                    starts_at=start,
                    ends_at=end,
                    status=states.Status.HELD.value,
                    hold_expires_at=now + self.hold,
                    price=price,
                    commission_bps=coach.commission_bps,
                    created_at=now,
                    actions=_HELD_ACTIONS,
                    dial_in=dial_in,
                )
                await store.insert_booking(
                    conn,
                    {
                        "id": held.id,
                        "coach_id": coach.id,
                        "client_id": client_id,
                        "session_type": session_type,
                        "duration": duration,
                        "starts_at": start,
                        "ends_at": end,
                        "blocked_from": guard.start,
                        "blocked_to": guard.end,
                        "status": held.status,
                        "hold_expires_at": held.hold_expires_at,
                        "price_minor": price.minor,
                        "currency": price.currency,
                        "commission_bps": coach.commission_bps,
                        "dial_in": dial_in,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                await store.add_event(
                    conn,
                    store.event_row(
                        held.id,
                        at=now,
                        event="hold",
                        from_status="",
                        to_status=held.status,
                        actor_id=client_id,
                    ),
                )
                if before_commit is not None:
                    await before_commit(conn, held)
                return held, released
        except IntegrityError as exc:
            if store.is_overlap(exc):
                raise _taken() from None
            raise

    def _check_limits(self, counted: calendar_store.ClientHolds | None, now: datetime) -> None:
        """Refuse a hold past the client's limits (booking.policy.holds), counted with the
        calendar under the locks `bookable` took."""
        assert counted is not None  # asked of calendar_near
        facts = holds.ClientHolds(
            counted.live, counted.live_with_coach, counted.lapsed, counted.first_lapsed
        )
        refused = holds.refusal(facts, self.limits, now)
        if refused is not None:
            raise _over_limit(refused)

    async def get(self, party: Party, booking_id: uuid.UUID) -> BookingView:
        now = self.clock.now()
        async with self.db.session() as session:
            booking, coach = await participant_booking(session, party, booking_id)
            return view(booking, coach, await client_name(session, booking), now)

    async def listing(
        self,
        party: Party,
        *,
        as_coach: bool,
        statuses: list[str],
        when: str,
        limit: int,
    ) -> list[BookingView]:
        """The caller's bookings (as client, or as coach): upcoming (held, confirmed or under
        way, not yet ended) soonest first, or past (ended, canceled or expired) newest first."""
        now = self.clock.now()
        async with self.db.session() as session:
            query = (
                select(Booking, Coach, User.display_name)
                .join(Coach, Coach.id == Booking.coach_id)
                .join(User, User.id == Booking.client_id)
            )
            if as_coach:
                query = query.where(Coach.user_id == party.user_id)
            else:
                query = query.where(Booking.client_id == party.user_id)
            if statuses:
                query = query.where(Booking.status.in_(statuses))
            live = [status.value for status in states.LIVE]
            if when == "upcoming":
                # Still to happen: a canceled or expired booking is over, whatever its time.
                query = query.where(Booking.ends_at > now, Booking.status.in_(live))
                query = query.order_by(Booking.starts_at)
            elif when == "past":
                query = query.where(or_(Booking.ends_at <= now, Booking.status.not_in(live)))
                query = query.order_by(Booking.starts_at.desc())
            else:
                query = query.order_by(Booking.starts_at.desc())
            rows = (await session.execute(query.limit(limit))).all()
            ids = [b.id for b, _, _ in rows]
            unread = await message_store.unread(await session.connection(), ids, party.user_id)
            reviewed = await review_store.reviewed(session, ids)
            return [
                replace(
                    view(booking, coach, name, now),
                    unread_messages=unread.get(booking.id, 0),
                    reviewed=booking.id in reviewed,
                )
                for booking, coach, name in rows
            ]

    async def expire_holds(self) -> int:
        """Free every hold whose time is up; tell viewers. Returns how many."""
        async with self.db.transaction() as conn:
            expired = await store.sweep_stale(conn, self.clock.now())
        for booking in expired:
            await self.feed.slots_changed(
                booking.coach_id, booking.starts_at, booking.ends_at, "released"
            )
        return len(expired)


async def client_name(session: AsyncSession, booking: Booking) -> str:
    """The display name of the booking's client."""
    client = await session.get(User, booking.client_id)
    return client.display_name if client is not None else ""


async def participant_booking(
    session: AsyncSession, party: Party, booking_id: uuid.UUID, *, lock: bool = False
) -> tuple[Booking, Coach]:
    """The booking if the caller is its client or its coach (or an admin); 404 otherwise, so
    nobody learns that someone else's booking exists."""
    booking = await store.by_id(session, booking_id, lock=lock)
    coach = None if booking is None else await session.get(Coach, booking.coach_id)
    if (
        booking is None
        or coach is None
        or not (party.is_admin or party.user_id in (booking.client_id, coach.user_id))
    ):
        raise NotFound(Code.BOOKING_NOT_FOUND, f"You have no booking with id {booking_id}.")
    return booking, coach


async def bookable(
    conn: AsyncConnection,
    coach_id: uuid.UUID,
    session_type: str,
    duration: int,
    now: datetime,
    *,
    lock: bool = False,
    client_id: uuid.UUID | None = None,
) -> CoachFacts:
    """The coach, if listed and offering this session type for this duration; with `lock`,
    their calendar is locked for the rest of the transaction (and with `client_id`, the
    client's holds)."""
    coach = await calendar_store.coach_facts(
        conn, coach_id, session_type, lock=lock, client_id=client_id
    )
    if coach is None or not verification.listed(coach.verification_status, coach.reverify_by, now):
        raise NotFound(Code.COACH_NOT_FOUND, f"No bookable coach has id {coach_id}.")
    if coach.rate_minor is None or coach.durations is None:
        raise _refuse(
            Code.SESSION_TYPE_NOT_OFFERED,
            "session_type",
            f"this coach does not offer {session_type} sessions",
        )
    if duration not in coach.durations:
        offered = ", ".join(str(d) for d in sorted(coach.durations))
        raise _refuse(
            Code.DURATION_NOT_OFFERED,
            "duration",
            f"this coach offers {session_type} sessions of {offered} minutes",
        )
    return coach


def check_slot(
    schedule: slots.Schedule,
    start: datetime,
    duration: int,
    now: datetime,
    *,
    on_grid: bool = False,
) -> None:
    """Refuse, with the reason, a start that no amount of waiting would make free. `on_grid`:
    the caller found the slot free, so it is one of the coach's (the costly check is skipped)."""
    if start <= now:
        raise _refuse(Code.SLOT_IN_PAST, "start", "this time has passed")
    if start < now + timedelta(minutes=schedule.min_notice):
        hours = schedule.min_notice / 60
        raise _refuse(Code.SLOT_TOO_SOON, "start", f"this coach needs {hours:g} hours' notice")
    if start >= slots.horizon_end(now, schedule):
        last = slots.last_day(now, schedule)
        raise _refuse(
            Code.SLOT_TOO_FAR, "start", f"this coach takes bookings up to {last} (their zone)"
        )
    if not on_grid and not slots.is_free(schedule, start, duration, now=now, busy=[]):
        raise _refuse(
            Code.SLOT_UNAVAILABLE,
            "start",
            "not a slot of this coach: outside their hours or off their slot grid",
        )


def _refuse(code: Code, field: str, message: str) -> Unprocessable:
    return Unprocessable(code, [FieldError(field, message)])


async def expire_stale(
    session: AsyncSession, coach_id: uuid.UUID | None, now: datetime
) -> list[Booking]:
    expired = await store.stale_holds(session, now, coach_id=coach_id)
    for booking in expired:
        booking.status = states.transition(states.Status.HELD, states.Event.EXPIRE).value
        booking.updated_at = now
        store.record(session, booking, at=now, event="expire", from_status="held", actor_id=None)
    if expired:
        await session.flush()
    return expired


def _over_limit(refused: holds.Refusal) -> AppError:
    if refused.over is holds.Over.COOLDOWN:
        return TooManyRequests(
            f"{refused.limit} of your holds expired unpaid within the last while "
            "(HOLD_LAPSES); please wait before holding another slot.",
            retry_after=refused.retry_after,
            code=Code.HOLD_COOLDOWN,
        )
    if refused.over is holds.Over.TOTAL:
        return Conflict(
            Code.HOLD_LIMIT,
            f"You already hold {refused.limit} slot(s), the most one client may hold at once "
            "(HOLD_LIMIT); pay for or release one first.",
        )
    return Conflict(
        Code.HOLD_LIMIT_PER_COACH,
        f"You already hold {refused.limit} slot(s) with this coach, the most one client may "
        "hold with one coach (HOLD_LIMIT_PER_COACH); pay for or release it first.",
    )


def _taken() -> Conflict:
    return Conflict(Code.SLOT_TAKEN, "This slot was just taken; please pick another.")
