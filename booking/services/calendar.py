"""A confirmed session as a calendar entry (booking step 4), for the client and the coach.

The entry names the other party only (the coach's display name for the client, the client's
display name for the coach) and carries no session details. A canceled booking still has an
entry, marked canceled, so a calendar that imported it removes it; its sequence number grows
with each reschedule and with the cancellation, so calendars take the newest version.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from booking.policy import states
from booking.services.bookings import Party, participant_booking
from booking.services.statuses import effective_status
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict

log = logging.getLogger(__name__)

CANCELED = frozenset({states.Status.CANCELED_BY_CLIENT, states.Status.CANCELED_BY_COACH})
# A hold that never became a session has no calendar entry.
NO_ENTRY = frozenset({states.Status.HELD, states.Status.EXPIRED})


@dataclass(frozen=True)
class CalendarEntry:
    booking_id: uuid.UUID
    session_type: str
    starts_at: datetime
    ends_at: datetime
    with_name: str
    canceled: bool
    sequence: int
    stamp: datetime
    url: str  # the session's page, under PUBLIC_URL (never the request's Host header)


class Calendar:
    def __init__(self, db: Database, clock: Clock, public_url: str) -> None:
        self.db = db
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    async def entry(self, party: Party, booking_id: uuid.UUID) -> CalendarEntry:
        """The entry for the booking's client or coach; 404 for anyone else."""
        now = self.clock.now()
        async with self.db.session() as session:
            booking, coach = await participant_booking(session, Party(party.user_id), booking_id)
            status = effective_status(booking, now)
            if status in NO_ENTRY:
                raise Conflict(
                    Code.BOOKING_NOT_CONFIRMED,
                    f"This booking is {status.value}: it has a calendar entry once confirmed.",
                )
            if party.user_id == booking.client_id:
                with_name = coach.display_name
            else:
                client = await session.get(User, booking.client_id)
                with_name = client.display_name if client is not None else "your client"
        canceled = status in CANCELED
        return CalendarEntry(
            booking_id=booking.id,
            session_type=booking.session_type,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            with_name=with_name,
            canceled=canceled,
            sequence=booking.reschedule_count + (1 if canceled else 0),
            stamp=now,
            url=f"{self.public_url}/sessions/{booking.id}",
        )
