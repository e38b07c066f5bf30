"""The demo's live sessions: `flourish serve --demo` gives the demo client a confirmed video
session with the demo coach, a confirmed chat session with another demo coach and a confirmed
phone session with a third, all starting the minute the server starts, so their rooms are open
at once and a person (or a test) can try a call by logging in as the client and as the coach,
or call the phone session in with `flourish dial-in <PIN>` (docs/phone.md). Their rooms count
down to the bookings' ends on the server's clock (signalling/countdown.py): the warnings 5 and
1 minutes before, then `session:ended` at the hard stop.

The chat and phone sessions are with other coaches because one coach cannot have two sessions
at the same time (the database refuses overlapping bookings), and all rooms must be open
together. On every later start the sessions are added again unless one of each is still open;
a start that finds the demo coach's calendar taken at that time skips the video session
(logged).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import Money
from booking.policy import slots
from booking.policy.pricing import session_price
from booking.policy.sessions import dial_in
from booking.policy.slots import Interval
from booking.services.calendars import calendar_near
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach, CoachOffering
from realtime.auth.models import User
from realtime.db import Database

log = logging.getLogger(__name__)

KINDS = ("video", "chat", "phone")


async def add_open_sessions(
    session: AsyncSession, client_email: str, coach_email: str, now: datetime
) -> list[Interval]:
    """Add the live sessions that are not open now; the coach time they block."""
    client_id = await session.scalar(select(User.id).where(User.email == client_email))
    demo_coach = await session.scalar(
        select(Coach).join(User, User.id == Coach.user_id).where(User.email == coach_email)
    )
    if client_id is None or demo_coach is None:
        return []
    blocked = []
    first = now.replace(second=0, microsecond=0)
    taken = [demo_coach.id]
    for order, kind in enumerate(KINDS):
        # A minute apart, so the client's sessions list them in this order on any database.
        start = first + timedelta(minutes=order)
        coach = demo_coach if kind == "video" else await _other_coach(session, kind, taken)
        if coach is not None and coach is not demo_coach:
            taken.append(coach.id)
        offering = None if coach is None else await session.get(CoachOffering, (coach.id, kind))
        if coach is None or offering is None or await _open(session, client_id, kind, now):
            continue
        duration = min(offering.durations)
        end = start + timedelta(minutes=duration)
        conn = await session.connection()
        zone = ZoneInfo(coach.time_zone)
        schedule, _ = await calendar_near(conn, coach.id, zone, Interval(start, end), now)
        guard = slots.blocked(start, end, schedule)
        price = session_price(Money(offering.rate_minor, coach.currency), duration)
        session.add(
            Booking(
                coach_id=coach.id,
                client_id=client_id,
                session_type=kind,
                duration=duration,
                starts_at=start,
                ends_at=end,
                blocked_from=guard.start,
                blocked_to=guard.end,
                status="confirmed",
                price_minor=price.minor,
                currency=price.currency,
                commission_bps=coach.commission_bps,
                dial_in=dial_in(kind, offered=offering.dial_in),
                confirmed_at=now - timedelta(days=2),
                created_at=now - timedelta(days=2),
                updated_at=now - timedelta(days=2),
            )
        )
        if coach is demo_coach:
            blocked.append(guard)
    return blocked


async def refresh_open_sessions(
    db: Database, client_email: str, coach_email: str, now: datetime
) -> None:
    """On a later start: the live sessions again, unless they are still open."""
    try:
        async with db.session() as session:
            await add_open_sessions(session, client_email, coach_email, now)
    except IntegrityError:
        log.warning("demo live sessions not added: the coaches' calendars are taken now")


async def _other_coach(
    session: AsyncSession, kind: str, not_these: list[uuid.UUID]
) -> Coach | None:
    """The first verified demo coach, by name, who offers `kind` and is none of `not_these`."""
    query = (
        select(Coach)
        .join(CoachOffering, CoachOffering.coach_id == Coach.id)
        .where(
            Coach.id.not_in(not_these),
            Coach.verification_status == "verified",
            CoachOffering.session_type == kind,
        )
        .order_by(Coach.display_name)
        .limit(1)
    )
    coach: Coach | None = await session.scalar(query)
    return coach


async def _open(session: AsyncSession, client_id: uuid.UUID, kind: str, now: datetime) -> bool:
    """Whether the client has a confirmed session of this kind that has started or starts
    within ten minutes and has not ended."""
    query = select(Booking.id).where(
        Booking.client_id == client_id,
        Booking.session_type == kind,
        Booking.status == "confirmed",
        Booking.starts_at <= now + timedelta(minutes=10),
        Booking.ends_at > now,
    )
    return await session.scalar(query.limit(1)) is not None
