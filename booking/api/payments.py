"""Paying for a held booking (step 3) and the demo provider's confirmation (step 4)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import Field

from booking.api.bookings import BookingOut, PriceOut, party
from booking.api.scheduling import SCHEDULING
from booking.money import Money
from booking.services.payments import Applied, Outcome, PaymentView
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.errors import Code, Conflict, PaymentRequired
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")


def price(money: Money) -> PriceOut:
    return PriceOut(minor=money.minor, currency=money.currency)


class PaymentStartOut(Output):
    payment_id: uuid.UUID
    provider: str = Field(description="`demo` or `stripe`.")
    client_secret: str = Field(description="Completes the payment in the browser; keep private.")
    status: str = Field(description="pending, succeeded, failed or canceled.")
    amount: PriceOut
    browser: dict[str, Any] = Field(
        description="What the browser needs: the demo's `confirm_url`, Stripe's publishable key."
    )
    breakdown: BreakdownOut = Field(
        description="Shown up front: the client pays the price, no more; the platform's "
        "commission comes out of it."
    )


class BreakdownOut(Output):
    price: PriceOut
    platform_fee: PriceOut = Field(description="Commission, rounded down to a minor unit.")
    coach_receives: PriceOut


class PaymentOut(Output):
    id: uuid.UUID
    provider: str
    status: str
    amount: PriceOut
    refunded: PriceOut

    @classmethod
    def of(cls, payment: PaymentView) -> PaymentOut:
        return cls(
            id=payment.id,
            provider=payment.provider,
            status=payment.status,
            amount=price(payment.amount),
            refunded=price(payment.refunded),
        )


class ConfirmedOut(Output):
    payment: PaymentOut
    booking: BookingOut


class DemoConfirmIn(Input):
    client_secret: str = Field(min_length=1, max_length=255)
    card_number: str = Field(
        pattern=r"^[0-9]{12,19}$",
        description="Digits only, 12 to 19 of them. One ending in 0002 is declined.",
    )


@routes.post(
    "/api/bookings/{id}/payment",
    summary="Start paying for a held booking (booking step 3)",
    responses={200: PaymentStartOut},
    access="client",
    errors=(402, 404, 409),
    idempotent=True,
)
async def start_payment(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Asks the payment provider for a payment of the booking's price and returns what the
    browser needs to complete it. Asking again returns the same payment. 409 `hold_expired`
    once the hold has run out; 409 `illegal_transition` for a booking that is not held."""
    caller = await require(request, Role.CLIENT)
    started = await request.app[SCHEDULING].payments.start(party(caller), uuid_param(request))
    return respond(
        PaymentStartOut(
            payment_id=started.payment.id,
            provider=started.start.provider,
            client_secret=started.start.client_secret,
            status=started.payment.status,
            amount=price(started.payment.amount),
            browser=started.start.browser,
            breakdown=BreakdownOut(
                price=price(started.split.price),
                platform_fee=price(started.split.platform_fee),
                coach_receives=price(started.split.coach_share),
            ),
        )
    )


@routes.post(
    "/api/bookings/{id}/payment/refresh",
    summary="Confirm a booking from the provider on the client's return from paying",
    responses={200: ConfirmedOut},
    access="client",
    errors=(402, 404, 409, 503),
)
async def refresh_payment(request: web.Request, _: NoInput) -> web.StreamResponse:
    """The browser calls this when the provider hands the client back (Stripe.js's
    `confirmPayment` resolved): the server reads the payment from the provider and acts on it,
    so the booking is confirmed without waiting for the webhook. 200 with the booking (still
    `held` while the provider is processing); 402 `payment_failed` for a declined card (the
    hold stays); 409 `hold_expired` if it was paid after the hold ended (refunded in full);
    404 `payment_not_found` before a payment was started; 503 `unavailable` when the provider
    cannot be asked now (try again)."""
    caller = await require(request, Role.CLIENT)
    applied = await request.app[SCHEDULING].payments.refresh(party(caller), uuid_param(request))
    return answer(applied)


@routes.post(
    "/api/payments/demo/confirm",
    summary="Complete a demo payment (booking step 4)",
    input=DemoConfirmIn,
    responses={200: ConfirmedOut},
    access="client",
    errors=(402, 404, 409),
    idempotent=True,
)
async def confirm_demo_payment(request: web.Request, body: DemoConfirmIn) -> web.StreamResponse:
    """The demo provider's card form: succeeded confirms the booking; a declined card (ending
    0002) answers 402 `payment_failed` and the slot stays held; a payment that completes after
    the hold expired is refunded in full and answered 409 `hold_expired`."""
    caller = await require(request, Role.CLIENT)
    applied = await request.app[SCHEDULING].payments.confirm_demo(
        party(caller), body.client_secret, body.card_number
    )
    return answer(applied)


def answer(applied: Applied) -> web.Response:
    """The HTTP answer to an applied payment event."""
    if applied.outcome is Outcome.FAILED:
        until = applied.booking.hold_expires_at
        kept = (
            f" The slot stays held until {until:%H:%M} UTC; try another card."
            if until is not None
            else ""
        )
        raise PaymentRequired(Code.PAYMENT_FAILED, f"The payment was declined.{kept}")
    if applied.outcome is Outcome.REFUNDED_LATE:
        amount = applied.payment.amount
        raise Conflict(
            Code.HOLD_EXPIRED,
            "The hold on this slot expired before the payment completed, so the booking was "
            f"not made; the payment ({amount.minor} minor units of {amount.currency}) was "
            "refunded in full.",
        )
    return respond(
        ConfirmedOut(payment=PaymentOut.of(applied.payment), booking=BookingOut.of(applied.booking))
    )
