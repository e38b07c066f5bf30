"""Changing a booking: reschedule, and cancel with the refund the policy grants (quoted first)."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.bookings import BookingOut, PriceOut, party
from booking.api.scheduling import SCHEDULING
from booking.money import Money
from booking.services.refunds import RefundView
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.http import ApiRoutes, Input, Instant, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")


class RescheduleIn(Input):
    start: Instant = Field(description="The new start, ISO 8601 with an offset.")
    coach_consent: bool = Field(
        False,
        description="Sent by the coach to move a session within RESCHEDULE_NOTICE_HOURS of "
        "its start; a client cannot move it then.",
    )


class CancelIn(Input):
    reason: str = Field(min_length=1, max_length=500, description="Why; private, stored encrypted.")


def price(money: Money) -> PriceOut:
    return PriceOut(minor=money.minor, currency=money.currency)


class RefundOut(Output):
    id: uuid.UUID
    amount: PriceOut
    status: str = Field(description="succeeded, or pending while the provider is retried.")
    reason: str

    @classmethod
    def of(cls, refund: RefundView) -> RefundOut:
        return cls(
            id=refund.id, amount=price(refund.amount), status=refund.status, reason=refund.reason
        )


class CanceledOut(BookingOut):
    refund: RefundOut | None = Field(
        None,
        description="The refund the cancellation policy granted; null when nothing was paid "
        "or nothing is due.",
    )


class CancellationOut(Output):
    booking_id: uuid.UUID
    cancel_as: str = Field(description="The event: cancel_by_client, cancel_by_coach or abandon.")
    paid: PriceOut = Field(description="What was paid for the booking (0 if nothing yet).")
    refund: PriceOut = Field(description="What cancelling now refunds.")
    rule: str | None = Field(
        description="The policy row applied: client_with_notice (100%), client_late (50% by "
        "default), coach (100%); null when nothing was paid."
    )


class TermsIn(Input):
    start: Instant | None = Field(
        None,
        description="The terms if the session moved to this start (a reschedule's preview); "
        "the booking's own start when absent.",
    )


class TermsOut(Output):
    free_until: datetime = Field(
        description="A client's cancellation until this instant refunds everything."
    )
    price: PriceOut = Field(description="The session's price.")
    late_refund: PriceOut = Field(
        description="What a client's cancellation after `free_until`, before the start, refunds."
    )
    late_percent: float = Field(description="`late_refund` as a percentage of the price.")


@routes.get(
    "/api/bookings/{id}/cancellation-policy",
    summary="The cancellation terms of this booking, in money",
    input=TermsIn,
    responses={200: TermsOut},
    errors=(404,),
)
async def cancellation_terms(request: web.Request, query: TermsIn) -> web.StreamResponse:
    """For its client and coach: free cancellation until `free_until` (REFUND_FULL_NOTICE_HOURS
    before the start), `late_refund` after that, nothing once the session has started. Shown
    on the payment step; with `start`, what the terms would be after a reschedule (moving into
    the last hours before a session shrinks what a later cancellation refunds)."""
    caller = await require(request)
    terms = await request.app[SCHEDULING].refunds.terms(
        party(caller), uuid_param(request), query.start
    )
    return respond(
        TermsOut(
            free_until=terms.free_until,
            price=price(terms.price),
            late_refund=price(terms.late),
            late_percent=terms.late_bps / 100,
        )
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
    is 409 `illegal_transition`. The refund follows the cancellation policy (see
    `GET /api/bookings/{id}/cancellation` for the amount before confirming) and is made at
    once; if the provider is down it stays `pending` and is retried."""
    caller = await require(request)
    canceled = await request.app[SCHEDULING].changes.cancel(
        party(caller), uuid_param(request), body.reason, address=request_address(request)
    )
    out = BookingOut.of(canceled.booking)
    refund = RefundOut.of(canceled.refund) if canceled.refund is not None else None
    return respond(CanceledOut(**out.model_dump(), refund=refund))


@routes.get(
    "/api/bookings/{id}/cancellation",
    summary="What cancelling this booking now would refund",
    responses={200: CancellationOut},
    errors=(404, 409),
)
async def cancellation_quote(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Shown before the client (or coach) confirms a cancellation; changes nothing. 409
    `illegal_transition` when the booking cannot be canceled."""
    caller = await require(request)
    quote = await request.app[SCHEDULING].refunds.quote(party(caller), uuid_param(request))
    return respond(
        CancellationOut(
            booking_id=quote.booking_id,
            cancel_as=quote.event.value,
            paid=price(quote.paid),
            refund=price(quote.refund),
            rule=quote.rule.value if quote.rule is not None else None,
        )
    )
