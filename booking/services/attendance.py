"""Attendance and the outcome it decides.

Each participant's stays in a session's room are written as they happen (a join opens a stay,
the socket's leave or disconnect closes it), in server time, on whichever process the socket
came through. At the hard stop (`decide`, hung on the countdown's end) and by a sweep for the
sessions whose hard stop passed with no decision (the process that held the timer died, or
nobody came), the rules of `booking.policy.outcomes` turn the stays into the booking's final
status: completed, no_show_client, no_show_coach or interrupted. Deciding is a conditional
update from a live status, so a booking is decided once however many processes try.

A no-show moves money as the refund policy says, in the same transaction (`Refunds.owe`): the
coach's no-show refunds the client in full, the client's no-show refunds what
`client_no_show_bps` grants (nothing by default); the refund is then made at the provider, or
retried by the refund job. Completed and no-show sessions are settled, so the coach's share is
paid out; an interrupted one is not (`booking.services.ledger.SETTLED`) until an admin
resolves it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from booking.policy import outcomes
from booking.policy.states import Event, Status
from booking.services.bookings import Party, participant_booking
from booking.services.refunds import Refunds
from booking.services.statuses import move
from booking.storage import attendance as store
from booking.storage import bookings as booking_store
from booking.storage.bookings import Booking
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import BadRequest, Code, Conflict

log = logging.getLogger(__name__)

EVENT_OF: dict[Status, Event] = {
    Status.COMPLETED: Event.COMPLETE,
    Status.NO_SHOW_CLIENT: Event.NO_SHOW_CLIENT,
    Status.NO_SHOW_COACH: Event.NO_SHOW_COACH,
    Status.INTERRUPTED: Event.INTERRUPT,
}
UNDECIDED = (Status.CONFIRMED.value, Status.IN_PROGRESS.value)
DECIDED = frozenset(s.value for s in EVENT_OF)


@dataclass(frozen=True)
class StayView:
    role: str
    via: str
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class AttendanceView:
    """A session's stays and, once decided, its outcome (with the time both were there)."""

    booking_id: uuid.UUID
    status: str
    outcome: str | None
    together_seconds: int
    stays: list[StayView]


RESOLUTIONS = (Status.COMPLETED, Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH)


class AttendanceBook:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        refunds: Refunds,
        audit: Audit,
        rules: outcomes.Rules,
        end_grace: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self.refunds = refunds
        self.audit = audit
        self.rules = rules
        self.end_grace = timedelta(seconds=end_grace)

    async def joined(
        self, booking_id: uuid.UUID, user_id: uuid.UUID, role: str, via: str = "browser"
    ) -> int:
        """A stay begins now; its id, for `left`."""
        async with self.db.session() as session:
            stay = store.Stay(
                booking_id=booking_id,
                user_id=user_id,
                role=role,
                via=via,
                joined_at=self.clock.now(),
            )
            session.add(stay)
            await session.flush()
            return stay.id

    async def left(self, stay_id: int) -> None:
        async with self.db.session() as session:
            await store.close(session, stay_id, self.clock.now())

    async def stays(self, booking_id: uuid.UUID) -> list[StayView]:
        async with self.db.session() as session:
            rows = await store.of_booking(session, booking_id)
        return [StayView(r.role, r.via, r.joined_at, r.left_at) for r in rows]

    async def view(self, party: Party, booking_id: uuid.UUID) -> AttendanceView:
        """What the participants and admins see: 404 for anyone else."""
        now = self.clock.now()
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, party, booking_id)
            rows = await store.of_booking(session, booking_id)
        seen = _attendance(booking, rows)
        together = _together(seen, min(now, booking.ends_at))
        decided = booking.status in DECIDED
        return AttendanceView(
            booking_id=booking_id,
            status=booking.status,
            outcome=booking.status if decided else None,
            together_seconds=int(together.total_seconds()),
            stays=[StayView(r.role, r.via, r.joined_at, r.left_at) for r in rows],
        )

    async def resolve(
        self,
        admin_id: uuid.UUID,
        booking_id: uuid.UUID,
        outcome: Status,
        *,
        address: str | None,
    ) -> AttendanceView:
        """An admin's resolution of an interrupted session: one of `RESOLUTIONS`, with the
        money that outcome moves; 409 for a booking that is not interrupted."""
        if outcome not in RESOLUTIONS:
            raise BadRequest(
                Code.VALIDATION_FAILED, "An outcome is completed, no_show_client or no_show_coach."
            )
        now = self.clock.now()
        refund_id = None
        async with self.db.session() as session:
            booking, _ = await participant_booking(
                session, Party(admin_id, is_admin=True), booking_id, lock=True
            )
            if booking.status != Status.INTERRUPTED.value:
                raise Conflict(
                    Code.ILLEGAL_TRANSITION,
                    f"Only an interrupted session is resolved; this one is {booking.status}.",
                )
            event = EVENT_OF[outcome]
            moved = await move(
                session, booking, event, now, actor_id=admin_id, facts="resolved by an admin"
            )
            if not moved:
                raise Conflict(Code.ILLEGAL_TRANSITION, "Another admin resolved it first.")
            if outcome is not Status.COMPLETED:
                refund_id = await self.refunds.owe(session, booking, event, now)
        await self.audit.record(
            actor_id=admin_id,
            action="booking.outcome.resolve",
            booking_id=booking_id,
            item_id=f"outcome:{outcome.value}",
            address=address,
        )
        log.info("admin %s resolved booking %s: %s", admin_id, booking_id, outcome.value)
        if refund_id is not None:
            await self.refunds.made_or_pending(refund_id)
        return await self.view(Party(admin_id, is_admin=True), booking_id)

    async def decide(self, booking_id: uuid.UUID) -> Status | None:
        """The booking's outcome, written once; None when it was not live (canceled, or
        decided already)."""
        now = self.clock.now()
        refund_id = None
        async with self.db.session() as session:
            booking = await booking_store.by_id(session, booking_id, lock=True)
            if booking is None or booking.status not in UNDECIDED:
                return None
            rows = await store.of_booking(session, booking_id)
            seen = outcomes.Attendance(
                start=booking.starts_at,
                end=booking.ends_at,
                coach=[
                    outcomes.Interval(r.joined_at, r.left_at) for r in rows if r.role == "coach"
                ],
                client=[
                    outcomes.Interval(r.joined_at, r.left_at) for r in rows if r.role == "client"
                ],
            )
            outcome = outcomes.decide(seen, now, self.rules)
            together = int(_together(seen, now).total_seconds())
            booked = int((seen.end - seen.start).total_seconds())
            facts = f"together {together} s of {booked} s; stays {len(rows)}"
            if not await move(session, booking, EVENT_OF[outcome], now, actor_id=None, facts=facts):
                return None
            if outcome in (Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH):
                refund_id = await self.refunds.owe(session, booking, EVENT_OF[outcome], now)
        if refund_id is not None:
            await self.refunds.made_or_pending(refund_id)
        return outcome

    async def decide_overdue(self) -> int:
        """Decide every session whose hard stop passed undecided; how many were decided."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = list(
                await session.scalars(
                    select(Booking.id)
                    .where(
                        Booking.status.in_(UNDECIDED),
                        Booking.ends_at < now - self.end_grace,
                    )
                    .limit(500)
                )
            )
        decided = 0
        for booking_id in due:
            decided += await self.decide(booking_id) is not None
        return decided


def _attendance(booking: Booking, rows: list[store.Stay]) -> outcomes.Attendance:
    return outcomes.Attendance(
        start=booking.starts_at,
        end=booking.ends_at,
        coach=[outcomes.Interval(r.joined_at, r.left_at) for r in rows if r.role == "coach"],
        client=[outcomes.Interval(r.joined_at, r.left_at) for r in rows if r.role == "client"],
    )


def _together(seen: outcomes.Attendance, now: datetime) -> timedelta:
    return outcomes.overlap(
        outcomes.merged(seen.coach, seen.start, seen.end, now),
        outcomes.merged(seen.client, seen.start, seen.end, now),
    )
