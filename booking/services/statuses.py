"""A booking's status as the services see it: the hold's clock applied, moves checked.

Every service that reads or changes a booking's status (changes, refunds, payments, details,
the calendar file) asks here, so a hold whose time is up counts as expired everywhere at once,
and an illegal move is the same 409 `illegal_transition` from every route. The moves a payment
makes (`confirm`, `revive`, `release`) are here too, each recorded as a booking event.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import states
from booking.services import reminders
from booking.storage import bookings as store
from booking.storage.bookings import Booking
from realtime.errors import Code, Conflict

log = logging.getLogger(__name__)


def effective_status(booking: Booking, now: datetime) -> states.Status:
    """The booking's status as of `now`: a hold whose time is up counts as expired even before
    the sweeper has written it."""
    status = states.Status(booking.status)
    if (
        status is states.Status.HELD
        and booking.hold_expires_at is not None
        and booking.hold_expires_at <= now
    ):
        return states.Status.EXPIRED
    return status


def checked_transition(status: states.Status, event: states.Event) -> states.Status:
    """`states.transition`, with an illegal move answered as 409 `illegal_transition`."""
    try:
        return states.transition(status, event)
    except states.IllegalTransition as exc:
        raise Conflict(Code.ILLEGAL_TRANSITION, f"Not possible now: {exc}.") from None


def cancelable(booking: Booking, status: states.Status, now: datetime) -> None:
    """Refuse (409) to cancel a session whose start has passed: from then on the outcome
    rules decide what happens to it and to its money (docs/payments.md)."""
    if status in (states.Status.CONFIRMED, states.Status.IN_PROGRESS) and now >= booking.starts_at:
        raise Conflict(
            Code.ILLEGAL_TRANSITION,
            "This session has started; it can no longer be canceled. What happens to it "
            "and its payment follows from who attended.",
        )


async def release(
    session: AsyncSession, booking: Booking, now: datetime, why: str
) -> list[Booking]:
    """held -> expired because the payment was canceled; the freed booking."""
    if booking.status != states.Status.HELD:
        return []
    if not await move(
        session, booking, states.Event.EXPIRE, now, actor_id=None, facts=f"payment {why}"
    ):
        return []
    log.info("booking %s released: payment %s", booking.id, why)
    return [booking]


async def revive(session: AsyncSession, booking: Booking, now: datetime) -> bool:
    """expired -> confirmed (`pay_in_time`): paid before the hold ended, heard of after it was
    expired; False if the slot was taken since (the payment is then refunded in full)."""
    await store.lock_calendar(await session.connection(), booking.coach_id)
    if await store.slot_retaken(session, booking):
        log.info("booking %s paid in time but its slot was taken since", booking.id)
        return False
    revived = await confirm(session, booking, now, states.Event.PAY_IN_TIME)
    if revived:
        log.info("booking %s confirmed: paid before its hold ended", booking.id)
    return revived


async def confirm(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    event: states.Event = states.Event.PAY,
) -> bool:
    """held -> confirmed (`pay`), or expired -> confirmed (`pay_in_time`); False if another
    request moved it first."""
    if not await move(session, booking, event, now, actor_id=booking.client_id):
        return False
    booking.confirmed_at = now
    return True


async def move(
    session: AsyncSession,
    booking: Booking,
    event: states.Event,
    now: datetime,
    *,
    actor_id: uuid.UUID | None,
    facts: str = "",
) -> bool:
    """The booking moves by `event` from its current status (any hold ends), recorded as a
    booking event; False if another request moved it first."""
    before = states.Status(booking.status)
    after = checked_transition(before, event)
    if not await store.set_status(session, booking, after.value, expected=before.value):
        return False
    booking.hold_expires_at = None
    booking.updated_at = now
    store.record(
        session,
        booking,
        at=now,
        event=event.value,
        from_status=before.value,
        actor_id=actor_id,
        facts=facts,
    )
    await reminders.follow(session, booking, now)
    return True
