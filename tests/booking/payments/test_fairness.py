"""What a paying client would find unfair, through localstripe: a payment made in time judged
by when Stripe took it, not when its webhook came; the client's return confirming without the
webhook; Stripe's processing fee in the ledger."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import stripe

from booking.money import Money
from booking.payments.provider import PaymentEvent, PaymentStatus
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM, hold, hold_body
from tests.booking.api.test_payment import held, pro, start_payment, status_of
from tests.booking.api.test_refunds import admin_refund, ledger_sums
from tests.booking.payments.test_flow import intent_of_a_hold, pay_in_browser, post_event
from tests.booking.support import Caller, Client, make_user, problem
from tests.support.clock import FakeClock
from tests.support.localstripe import WEBHOOK_SECRET
from tests.support.stripe_events import event, signature

__all__ = ["pro"]  # the fixture, shared

HOLD_SECONDS = 10 * 60


async def paid_then_heard_late(
    client: Client,
    member: Caller,
    coach_id: str,
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> tuple[dict[str, Any], bytes]:
    """A hold paid at Stripe 0.1 s in, whose `payment_intent.succeeded` (stamped then) is
    delivered only after the hold ran out, as Stripe's retries are. (localstripe's own
    delivery is not registered: it would come at once.)"""
    booking, obj = await intent_of_a_hold(client, member, coach_id)
    await pay_in_browser(stripe_client, obj["id"])
    paid_at = clock.now().timestamp() + 0.1
    clock.advance(HOLD_SECONDS + 60)
    return booking, event("payment_intent.succeeded", obj, created=paid_at)


async def refresh(client: Client, caller: Caller, booking_id: str) -> Any:
    return await client.post(f"/api/bookings/{booking_id}/payment/refresh", headers=caller.headers)


async def test_a_payment_made_in_time_but_heard_late_confirms(
    client: Client,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    booking, late = await paid_then_heard_late(client, member, pro[1], clock, stripe_client)
    answer = await post_event(client, late, signature(late, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "confirmed"
    assert await status_of(client, member, booking["id"]) == "confirmed"


async def test_a_hold_expired_meanwhile_is_confirmed_if_its_slot_is_free(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    booking, late = await paid_then_heard_late(client, member, pro[1], clock, stripe_client)
    assert await services.scheduling.bookings.expire_holds() == 1  # the sweeper came first
    assert await status_of(client, member, booking["id"]) == "expired"
    answer = await post_event(client, late, signature(late, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "confirmed"
    body = await (await client.get(f"/api/bookings/{booking['id']}", headers=member.headers)).json()
    assert body["status"] == "confirmed"
    assert "pay_in_time" not in body["actions"]


async def test_paid_in_time_but_the_slot_was_taken_since_is_refunded(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    booking, late = await paid_then_heard_late(client, member, pro[1], clock, stripe_client)
    other = await make_user(services, Role.CLIENT, "Otto Other")
    taken = await hold(client, other, hold_body(pro[1], TUESDAY_9AM))
    assert taken.status == 201
    answer = await post_event(client, late, signature(late, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "refunded_late"
    assert await status_of(client, member, booking["id"]) == "expired"
    assert await status_of(client, other, (await taken.json())["id"]) == "held"


async def test_a_payment_made_after_the_hold_is_still_late(
    client: Client,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    await pay_in_browser(stripe_client, obj["id"])
    clock.advance(HOLD_SECONDS + 60)
    late = event("payment_intent.succeeded", obj, created=clock.now().timestamp() - 30)
    answer = await post_event(client, late, signature(late, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "refunded_late"
    assert await status_of(client, member, booking["id"]) == "expired"


async def test_the_return_from_payment_confirms_without_the_webhook(
    client: Client, member: Caller, pro: tuple[Caller, str], stripe_client: stripe.StripeClient
) -> None:
    # No webhook is registered with localstripe: only the return can confirm.
    booking = await held(client, member, pro[1])
    assert (await problem(await refresh(client, member, booking["id"]), 404))["code"] == (
        "payment_not_found"
    )
    payment = await (await start_payment(client, member, booking["id"])).json()
    waiting = await refresh(client, member, booking["id"])
    assert waiting.status == 200
    assert (await waiting.json())["booking"]["status"] == "held"
    await pay_in_browser(stripe_client, payment["client_secret"].split("_secret_")[0])
    back = await refresh(client, member, booking["id"])
    assert back.status == 200, await back.text()
    assert (await back.json())["booking"]["status"] == "confirmed"
    again = await refresh(client, member, booking["id"])
    assert (await again.json())["payment"]["status"] == "succeeded"


async def test_a_declined_card_on_return_keeps_the_hold(
    client: Client, member: Caller, pro: tuple[Caller, str], stripe_client: stripe.StripeClient
) -> None:
    booking = await held(client, member, pro[1])
    payment = await (await start_payment(client, member, booking["id"])).json()
    ref = payment["client_secret"].split("_secret_")[0]
    await stripe_client.v1.payment_intents.update_async(
        ref, params={"payment_method": "pm_card_chargeCustomerFail"}
    )
    with contextlib.suppress(stripe.CardError):  # what Stripe.js shows the client
        await stripe_client.v1.payment_intents.confirm_async(ref)
    declined = await problem(await refresh(client, member, booking["id"]), 402)
    assert declined["code"] == "payment_failed"
    assert "stays held" in declined["detail"]
    assert await status_of(client, member, booking["id"]) == "held"


async def test_only_the_bookings_client_refreshes_its_payment(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    assert (await refresh(client, stranger, booking["id"])).status == 404
    assert (await refresh(client, pro[0], booking["id"])).status == 403


async def test_stripes_fee_is_the_platforms_cost_and_the_ledger_reconciles(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    """localstripe's balance transactions always carry a fee of 0, so the fee Stripe documents
    (the charge's balance transaction `fee`; 2.9% + 30 cents of 100.00 here) is handed to the
    real service as the provider's read would give it."""
    booking = await held(client, member, pro[1])
    payment = await (await start_payment(client, member, booking["id"])).json()
    ref = payment["client_secret"].split("_secret_")[0]
    await pay_in_browser(stripe_client, ref)
    paid = PaymentEvent(
        "stripe",
        ref,
        PaymentStatus.SUCCEEDED,
        Money(10000, "USD"),
        uuid.UUID(booking["id"]),
        succeeded_at=clock.now(),
        fee=Money(320, "USD"),
    )
    applied = await services.scheduling.payments.apply(paid)
    assert applied.booking.status == "confirmed"
    await services.scheduling.payments.apply(paid)  # again: posts nothing twice
    # Cash is what Stripe's balance holds: the price less its fee.
    assert await ledger_sums(client, admin) == {
        "cash": 9680,
        "platform_fees": -2000,
        "coach_payable": -8000,
        "processing_fees": 320,
    }
    refunded = await admin_refund(client, admin, booking["id"], 10000, "USD")
    assert refunded.status in (200, 201), await refunded.text()
    # Refunded in full: Stripe keeps its fee, the platform bears it; the coach is whole.
    sums = await ledger_sums(client, admin)
    assert (sums["cash"], sums["processing_fees"]) == (-320, 320)
    assert (sums["platform_fees"], sums["coach_payable"]) == (0, 0)
