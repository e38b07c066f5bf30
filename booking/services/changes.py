"""Changing a booking after it is made: reschedule and cancel.

Reschedule moves a confirmed booking to another free slot of the same coach, session type and
duration in one transaction: the slot is checked with the same rulebook as a hold
(`booking.policy.slots`, the booking's own time left out of the busy list), who may move it is
`booking.policy.reschedules`, and the database's overlap guard checks the moved interval as it
checks a new hold, so a move can never land on a slot another client just took.

Cancel ends a held or confirmed booking: the client abandons a hold or cancels a confirmed
session, the coach cancels a confirmed one. The reason is private and stored sealed (item
"cancel-note" in the booking's vault scope). The refund the policy grants
(`booking.policy.refunds`) is written in the same transaction as the cancellation and made at
the provider right after it commits (`booking.services.refunds`); if the provider fails, the
booking stays canceled and the refund pending, and the refund job makes it later.

Both close the session's live room after they commit (`SessionGate`): whoever is in it is put
out at once on every server process and told why; the changed booking decides who may join
again (nobody after a cancellation; after a reschedule, from its new window).

Every status change goes through `booking.policy.states`; an event the booking's status does
not accept is a 409 `illegal_transition`, never a silent change.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from booking.policy import refunds as refund_rules
from booking.policy import slots, states
from booking.policy.reschedules import Verdict, may_reschedule
from booking.policy.slots import Interval
from booking.services import reminders
from booking.services.bookings import (
    BookingView,
    Party,
    check_slot,
    client_name,
    participant_booking,
    view,
)
from booking.services.calendars import CalendarFeed, calendar_near, live_block
from booking.services.refunds import Refunds, RefundView
from booking.services.sessions import Closed, NoRooms, SessionGate
from booking.services.statuses import cancelable, checked_transition, effective_status
from booking.storage import bookings as store
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database, retrying
from realtime.errors import Code, Conflict, FieldError, Unprocessable
from realtime.vault import Sealer, booking_scope

log = logging.getLogger(__name__)

CANCEL_NOTE_ITEM = "cancel-note"


@dataclass(frozen=True)
class Canceled:
    booking: BookingView
    refund: RefundView | None


@dataclass(frozen=True)
class Moved:
    booking: BookingView
    old: Interval
    released: list[store.Expired]


class Changes:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        feed: CalendarFeed,
        sealer: Sealer,
        *,
        notice_hours: int,
        refunds: Refunds,
        audit: Audit,
        rooms: SessionGate | None = None,
    ) -> None:
        self.refunds = refunds
        self.audit = audit
        self.rooms = rooms or NoRooms()
        self.db = db
        self.clock = clock
        self.feed = feed
        self.sealer = sealer
        self.notice_hours = notice_hours

    async def reschedule(
        self, party: Party, booking_id: uuid.UUID, start: datetime, *, coach_consent: bool
    ) -> BookingView:
        """Move a confirmed booking to another free slot, atomically."""
        moved = await retrying(lambda: self._reschedule(party, booking_id, start, coach_consent))
        view_ = moved.booking
        log.info("booking %s rescheduled by user %s", booking_id, party.user_id)
        # Whoever is in the room leaves it now; they may join again in the new window.
        await self.rooms.close(booking_id, Closed.RESCHEDULED)
        for stale in moved.released:
            await self.feed.slots_changed(
                stale.coach_id, stale.starts_at, stale.ends_at, "released"
            )
        await self.feed.slots_changed(view_.coach_id, moved.old.start, moved.old.end, "released")
        await self.feed.slots_changed(view_.coach_id, view_.starts_at, view_.ends_at, "booked")
        return view_

    async def _reschedule(
        self, party: Party, booking_id: uuid.UUID, start: datetime, coach_consent: bool
    ) -> Moved:
        now = self.clock.now()
        try:
            async with self.db.session() as session:
                booking, coach = await participant_booking(
                    session, Party(party.user_id), booking_id, lock=True
                )
                status = effective_status(booking, now)
                checked_transition(status, states.Event.RESCHEDULE)
                verdict = may_reschedule(
                    current_start=booking.starts_at,
                    now=now,
                    notice_hours=self.notice_hours,
                    by_coach=coach.user_id == party.user_id,
                    coach_consent=coach_consent,
                )
                if verdict is Verdict.STARTED:
                    raise Conflict(
                        Code.ILLEGAL_TRANSITION, "This session has started; it cannot be moved."
                    )
                if verdict is Verdict.NEEDS_CONSENT:
                    raise self._needs_consent(by_coach=coach.user_id == party.user_id)
                if start == booking.starts_at:
                    raise Unprocessable(
                        Code.SLOT_UNAVAILABLE,
                        [FieldError("start", "the session already starts at this time")],
                    )
                end = start + timedelta(minutes=booking.duration)
                window = Interval(start, end)
                conn = await session.connection()
                await store.lock_calendar(conn, coach.id)
                zone = ZoneInfo(coach.time_zone)
                schedule, near = await calendar_near(conn, coach.id, zone, window, now)
                check_slot(schedule, start, booking.duration, now)
                stored = Interval(booking.blocked_from, booking.blocked_to)
                own = live_block(schedule, stored, booking.starts_at, booking.ends_at)
                busy = [i for i in near.live if i != own]
                if not slots.is_free(schedule, start, booking.duration, now=now, busy=busy):
                    raise _taken()
                old = Interval(booking.starts_at, booking.ends_at)
                guard = slots.blocked(start, end, schedule)
                released = await store.expire(conn, near.stale_over(guard), now)
                booking.starts_at, booking.ends_at = start, end
                booking.blocked_from, booking.blocked_to = guard.start, guard.end
                booking.reschedule_count += 1
                booking.updated_at = now
                await session.flush()  # the overlap guard checks the moved interval here
                store.record(
                    session,
                    booking,
                    at=now,
                    event=states.Event.RESCHEDULE.value,
                    from_status=status.value,
                    actor_id=party.user_id,
                    facts=f"from {old.start.isoformat()} to {start.isoformat()}",
                )
                await reminders.follow(session, booking, now)
                name = await client_name(session, booking)
                return Moved(view(booking, coach, name, now), old, released)
        except IntegrityError as exc:
            if store.is_overlap(exc):
                raise _taken() from None
            raise

    def _needs_consent(self, *, by_coach: bool) -> Conflict:
        hours = self.notice_hours
        if by_coach:
            message = (
                f"This session starts within {hours} hours: send coach_consent: true to move "
                "it at short notice."
            )
        else:
            message = (
                f"This session starts within {hours} hours: only your coach can move it now; "
                "ask them to."
            )
        return Conflict(Code.RESCHEDULE_NEEDS_CONSENT, message)

    async def cancel(
        self, party: Party, booking_id: uuid.UUID, reason: str, *, address: str | None = None
    ) -> Canceled:
        """Cancel a held or confirmed booking, as its client or its coach, refunding what the
        policy grants."""
        now = self.clock.now()
        # A participant only, before the reason is sealed: sealing may make the booking's key,
        # outside the write transaction (realtime/vault.py says why), and a refused caller
        # must leave nothing behind.
        async with self.db.session() as session:
            await participant_booking(session, Party(party.user_id), booking_id)
        note = await self.sealer.seal(booking_scope(booking_id), CANCEL_NOTE_ITEM, reason.encode())
        async with self.db.session() as session:
            booking, coach = await participant_booking(
                session, Party(party.user_id), booking_id, lock=True
            )
            status = effective_status(booking, now)
            cancelable(booking, status, now)
            event = refund_rules.cancel_event(status, by_coach=coach.user_id == party.user_id)
            after = checked_transition(status, event)
            if not await store.set_status(session, booking, after.value, expected=booking.status):
                raise Conflict(
                    Code.ILLEGAL_TRANSITION, "This booking changed meanwhile; reload it."
                )
            booking.cancel_note = note
            booking.canceled_by = party.user_id
            booking.canceled_at = now
            booking.updated_at = now
            store.record(
                session,
                booking,
                at=now,
                event=event.value,
                from_status=status.value,
                actor_id=party.user_id,
            )
            await reminders.follow(session, booking, now)
            refund_id = await self.refunds.owe(session, booking, event, now)
            result = view(booking, coach, await client_name(session, booking), now)
        await self.audit.record(
            actor_id=party.user_id,
            action="cancel-note.write",
            booking_id=booking_id,
            item_id=CANCEL_NOTE_ITEM,
            address=address,
        )
        log.info("booking %s canceled (%s) by user %s", booking_id, event.value, party.user_id)
        await self.rooms.close(booking_id, Closed.CANCELED)
        await self.feed.slots_changed(result.coach_id, result.starts_at, result.ends_at, "released")
        refund = None
        if refund_id is not None:
            refund = await self.refunds.made_or_pending(refund_id)
        return Canceled(result, refund)


def _taken() -> Conflict:
    return Conflict(Code.SLOT_TAKEN, "This slot was just taken; please pick another.")
