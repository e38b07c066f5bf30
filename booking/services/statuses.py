"""A booking's status as the services see it: the hold's clock applied, moves checked.

Every service that reads or changes a booking's status (changes, refunds, payments, details,
the calendar file) asks here, so a hold whose time is up counts as expired everywhere at once,
and an illegal move is the same 409 `illegal_transition` from every route.
"""

from __future__ import annotations

from datetime import datetime

from booking.policy import states
from booking.storage.bookings import Booking
from realtime.errors import Code, Conflict


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
