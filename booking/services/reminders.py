"""Session reminders, 24 hours and 1 hour before the start, to both participants: an email
through the outbox and an in-app notification, each exactly once.

- `follow` runs in the transaction of every change of a booking's status or time (confirm,
  reschedule, cancel, start, outcome: `statuses.move` and the reschedule): it withdraws the
  booking's pending reminders and, while the booking is confirmed, writes its schedule
  (`policy.reminders.schedule`). A reminder therefore exists if and only if its change
  committed, and a canceled or moved session is never reminded at its old time.
- `Reminders.send_due` runs in every server process on the injected clock. A due reminder is
  claimed by a compare-and-set in a transaction that also writes its email to the outbox and
  its notification, so two processes never both send it, a crash sends nothing half, and a
  process that restarts finds what is still pending. SMTP's retries and backoff are the
  outbox's; the notification is pushed to the user's sockets after the commit.
- A day reminder found due within the last hour before the start is skipped (the hour one
  goes); one found after the start is withdrawn.
- A reminder of a session that may be joined by telephone (`Booking.dial_in`), with dial-in
  on, carries the number and the reader's own PIN
  (`PhonePins.of`, made if not yet asked for): the issue's "shown in the app and in the
  reminder". The PIN is in the outbox row's params only until the email is sent (emptied then,
  as reset links' tokens are), never in the subject or the in-app notification.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import reminders as policy
from booking.policy.states import Status
from booking.services.bookings import Party
from booking.services.notifications import Push, add, nobody_listening
from booking.services.phone_pins import PhonePins
from booking.storage import reminders as store
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach
from booking.storage.reminders import ReminderRow
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database
from realtime.email.outbox import enqueue

log = logging.getLogger(__name__)

BATCH = 100
KIND = "session_reminder"


async def follow(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """The booking's reminders after a change of its status or time (module docstring)."""
    await store.withdraw(session, booking.id, now)
    if booking.status != Status.CONFIRMED.value:
        return
    coach_user = await session.scalar(select(Coach.user_id).where(Coach.id == booking.coach_id))
    users = {policy.Recipient.COACH: coach_user, policy.Recipient.CLIENT: booking.client_id}
    for reminder in policy.schedule(booking.starts_at, now):
        user_id = users[reminder.recipient]
        if user_id is None:
            continue
        session.add(
            ReminderRow(
                booking_id=booking.id,
                user_id=user_id,
                recipient=reminder.recipient.value,
                lead=reminder.lead.value,
                due_at=reminder.due_at,
                status=store.PENDING,
            )
        )


def reminder_text(starts_at: datetime, zone: str) -> str:
    return f"Your session starts {policy.local_time(starts_at, zone)}."


class Reminders:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        push: Push = nobody_listening,
        pins: PhonePins | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.push = push
        self.pins = pins  # with dial-in on: phone sessions' reminders carry the PIN

    async def send_due(self) -> int:
        """Send every due reminder nobody else has taken; how many went."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = await store.due(session, now, BATCH)
        sent = 0
        for reminder_id in due:
            sent += await self._send(reminder_id)
        return sent

    async def _send(self, reminder_id: int) -> int:
        dial_in = await self._dial_in(reminder_id)
        now = self.clock.now()
        async with self.db.session() as session:
            row = await session.get(ReminderRow, reminder_id)
            if row is None or row.status != store.PENDING:
                return 0
            booking = await session.get(Booking, row.booking_id)
            user = await session.get(User, row.user_id)
            coach = None if booking is None else await session.get(Coach, booking.coach_id)
            useful = (
                booking is not None and user is not None and self._still_useful(row, booking, now)
            )
            if not await store.claim(
                session, reminder_id, now, store.SENT if useful else store.SKIPPED
            ):
                return 0  # another process took it, or it was withdrawn, first
            if not useful or booking is None or user is None:
                return 0
            # A coach reads times in the zone their calendar is kept in; a client in theirs.
            zone = coach.time_zone if coach and row.recipient == "coach" else user.time_zone
            when = policy.local_time(booking.starts_at, zone)
            params = {
                "name": user.display_name,
                "when": when,
                "zone": zone,
                "booking_id": str(booking.id),
            }
            await enqueue(
                session,
                now,
                to=user.email,
                template="session_reminder_phone" if dial_in else "session_reminder",
                params=params | (dial_in or {}),
                user_id=user.id,
            )
            notification = add(
                session,
                user.id,
                kind=KIND,
                text=reminder_text(booking.starts_at, zone),
                booking_id=booking.id,
                at=now,
            )
            lead, booking_id, user_id = row.lead, row.booking_id, user.id
        log.info("reminder %s (%s) of booking %s sent", reminder_id, lead, booking_id)
        try:
            await self.push(user_id, notification)
        except Exception:
            log.exception("reminder %s: not pushed (it waits in the inbox)", reminder_id)
        return 1

    async def _dial_in(self, reminder_id: int) -> dict[str, str] | None:
        """The number and the reader's PIN, for a phone session with dial-in on."""
        if self.pins is None or not self.pins.number:
            return None
        async with self.db.session() as session:
            row = await session.get(ReminderRow, reminder_id)
            booking = None if row is None else await session.get(Booking, row.booking_id)
        if row is None or booking is None or not booking.dial_in:
            return None
        try:
            pin = await self.pins.of(Party(row.user_id), booking.id)
        except Exception:
            log.exception("reminder %s: no PIN for the reminder (sent without)", reminder_id)
            return None
        return {"number": self.pins.number, "pin": pin}

    @staticmethod
    def _still_useful(row: ReminderRow, booking: Booking, now: datetime) -> bool:
        if booking.status != Status.CONFIRMED.value or now >= booking.starts_at:
            return False
        hour = policy.LEADS[policy.Lead.HOUR]
        return not (row.lead == policy.Lead.DAY.value and now >= booking.starts_at - hour)
