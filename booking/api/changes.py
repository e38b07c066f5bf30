"""Changing a booking: reschedule and cancel."""

from __future__ import annotations

from aiohttp import web
from pydantic import AwareDatetime, Field

from booking.api.bookings import BookingOut, PriceOut, party
from booking.api.scheduling import SCHEDULING
from realtime.auth.access import require
from realtime.http import ApiRoutes, Input, respond, uuid_param

routes = ApiRoutes(tag="bookings")


class RescheduleIn(Input):
    start: AwareDatetime = Field(description="The new start, ISO 8601 with an offset.")
    coach_consent: bool = Field(
        False,
        description="Sent by the coach to move a session within RESCHEDULE_NOTICE_HOURS of "
        "its start; a client cannot move it then.",
    )


class CancelIn(Input):
    reason: str = Field(min_length=1, max_length=500, description="Why; private, stored encrypted.")


class CanceledOut(BookingOut):
    refund: PriceOut | None = Field(
        None, description="The refund made; null until refunds arrive with payments."
    )


@routes.post(
    "/api/bookings/{id}/reschedule",
    summary="Move a confirmed booking to another free slot",
    input=RescheduleIn,
    responses={200: BookingOut},
    errors=(404, 409),
    idempotent=True,
)
async def reschedule(request: web.Request, body: RescheduleIn) -> web.StreamResponse:
    """By the booking's client or coach, to a free slot of the same coach, session type and
    duration. Within RESCHEDULE_NOTICE_HOURS of the current start only the coach can move it,
    with `coach_consent: true` (409 `reschedule_needs_consent` otherwise). A slot that is not
    free answers 409 `slot_taken`; one off the coach's hours or grid, 422."""
    caller = await require(request)
    booking = await request.app[SCHEDULING].changes.reschedule(
        party(caller), uuid_param(request), body.start, coach_consent=body.coach_consent
    )
    return respond(BookingOut.of(booking))


@routes.post(
    "/api/bookings/{id}/cancel",
    summary="Cancel a booking",
    input=CancelIn,
    responses={200: CanceledOut},
    errors=(404, 409),
    idempotent=True,
)
async def cancel(request: web.Request, body: CancelIn) -> web.StreamResponse:
    """The client cancels a held or confirmed booking, the coach a confirmed one; anything else
    is 409 `illegal_transition`. Refunds come with the payments issue: `refund` is null."""
    caller = await require(request)
    booking = await request.app[SCHEDULING].changes.cancel(
        party(caller), uuid_param(request), body.reason
    )
    out = BookingOut.of(booking)
    return respond(CanceledOut(**out.model_dump(), refund=None))
