"""Admission to a session's live room: the booking facts the signalling edge needs to let a
participant in (booking.policy.sessions holds the rules), and the `SessionGate` through which
a booking change that ends the right to be in the room (a cancellation, a reschedule) closes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from booking.policy import sessions
from booking.policy.sessions import Entry
from booking.policy.states import Status
from booking.storage import bookings as store
from booking.storage.coaches import Coach
from realtime.clock import Clock, utc
from realtime.db import Database
from realtime.errors import Code, Conflict, Forbidden, NotFound


class Closed(StrEnum):
    """Why a session's room was closed under its participants."""

    CANCELED = "canceled"
    RESCHEDULED = "rescheduled"
    ENDED = "ended"  # the hard stop: the session's time (and its grace) ran out


class SessionGate(Protocol):
    """The live rooms (signalling, on every server process), as the booking services see them."""

    async def close(self, booking_id: uuid.UUID, reason: Closed) -> None:
        """Put everyone out of the booking's room now, telling them why. Called after the
        change committed, so a rejoin is judged by the changed booking; never raises."""


class NoRooms:
    """No live rooms (a services graph built without socket.io)."""

    async def close(self, booking_id: uuid.UUID, reason: Closed) -> None:
        return None


@dataclass(frozen=True)
class Admission:
    booking_id: uuid.UUID
    role: str  # "coach" or "client"
    session_type: str
    starts_at: datetime
    ends_at: datetime
    closes_at: datetime  # the hard stop: the end plus the grace


@dataclass(frozen=True)
class Timing:
    """When a booking's session ends, and whether it still takes place (`live`)."""

    booking_id: uuid.UUID
    ends_at: datetime
    live: bool


class Sessions:
    def __init__(
        self, db: Database, clock: Clock, *, join_early_minutes: int, end_grace: int = 0
    ) -> None:
        self.db = db
        self.clock = clock
        self.early = timedelta(minutes=join_early_minutes)
        self.grace = timedelta(seconds=end_grace)

    async def timings(self, booking_ids: list[uuid.UUID]) -> dict[uuid.UUID, Timing]:
        """The bookings' current end and state (missing ids: no such booking)."""
        async with self.db.sessions() as session:
            rows = await store.timings(session, booking_ids)
        return {row[0]: _timing(*row) for row in rows}

    async def ending_between(self, after: datetime, before: datetime) -> list[Timing]:
        """Every confirmed session ending in [after, before), by end (for planning timers)."""
        statuses = [s.value for s in sessions.JOINABLE]
        async with self.db.sessions() as session:
            rows = await store.ending_between(session, statuses, after, before)
        return [_timing(*row) for row in rows]

    async def admit(self, user_id: uuid.UUID, booking_id: uuid.UUID) -> Admission:
        """The caller's place in the booking's room, or the reason they may not enter now."""
        async with self.db.sessions() as session:
            booking = await store.by_id(session, booking_id)
            coach = None if booking is None else await session.get(Coach, booking.coach_id)
        if booking is None or coach is None or user_id not in (booking.client_id, coach.user_id):
            raise NotFound(Code.BOOKING_NOT_FOUND, f"You have no booking with id {booking_id}.")
        starts_at, ends_at = utc(booking.starts_at), utc(booking.ends_at)
        now = self.clock.now()
        match sessions.entry(booking.status, starts_at, ends_at, now, self.early, self.grace):
            case Entry.NOT_CONFIRMED:
                raise Conflict(
                    Code.BOOKING_NOT_CONFIRMED,
                    f"This booking is {booking.status.replace('_', ' ')}; only a confirmed "
                    "booking has a session room.",
                )
            case Entry.TOO_EARLY:
                opens = (starts_at - self.early).isoformat().replace("+00:00", "Z")
                raise Forbidden(Code.SESSION_NOT_OPEN, f"The session room opens at {opens}.")
            case Entry.OVER:
                raise Forbidden(Code.SESSION_OVER, "This session has ended.")
        return Admission(
            booking_id=booking.id,
            role="coach" if user_id == coach.user_id else "client",
            session_type=booking.session_type,
            starts_at=starts_at,
            ends_at=ends_at,
            closes_at=ends_at + self.grace,
        )


def _timing(booking_id: uuid.UUID, ends_at: datetime, status: str) -> Timing:
    return Timing(booking_id, utc(ends_at), Status(status) in sessions.JOINABLE)
