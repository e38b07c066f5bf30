"""End to end through localstripe: hold -> pay -> webhook -> confirmed -> late cancel -> partial
refund -> ledger and earnings agree; and the webhook's refusals, replays and late arrivals."""

from __future__ import annotations

import asyncio
from typing import Any

import stripe
from sqlalchemy import func, select

from booking.services.refunds import ATTEMPT_SECONDS
from booking.storage.bookings import Booking
from booking.storage.ledger import LedgerTransaction
from booking.storage.webhooks import WebhookEvent
from realtime.wiring import Services
from tests.booking.api.test_changes import cancel
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import held, pro, start_payment, status_of
from tests.booking.api.test_refunds import admin_refund, ledger_sums
from tests.booking.support import Caller, Client, get_json, problem
from tests.support.clock import FakeClock
from tests.support.localstripe import WEBHOOK_SECRET, LocalStripe
from tests.support.stripe_events import event, signature

__all__ = ["pro"]  # the fixture, shared

WEBHOOK = "/api/webhooks/stripe"


async def pay_in_browser(stripe_client: stripe.StripeClient, ref: str) -> None:
    """What Stripe.js does with the client secret: attach the test card and confirm."""
    await stripe_client.v1.payment_intents.update_async(
        ref, params={"payment_method": "pm_card_visa"}
    )
    await stripe_client.v1.payment_intents.confirm_async(ref)


async def until_status(client: Client, caller: Caller, booking_id: str, wanted: str) -> None:
    """Wait (real time: localstripe sends its webhooks a second late) for a status."""
    for _ in range(100):
        if await status_of(client, caller, booking_id) == wanted:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"booking {booking_id} never became {wanted}")


async def intent_of_a_hold(
    client: Client, member: Caller, coach_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A held booking with its payment started, and the PaymentIntent as Stripe's events carry
    it (the webhook tests send those events themselves)."""
    booking = await held(client, member, coach_id)
    payment = await (await start_payment(client, member, booking["id"])).json()
    obj = {
        "id": payment["client_secret"].split("_secret_")[0],
        "object": "payment_intent",
        "amount": 10000,
        "currency": "usd",
        "metadata": {"booking_id": booking["id"]},
    }
    return booking, obj


async def post_event(client: Client, payload: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return await client.post(WEBHOOK, data=payload, headers=headers)


async def test_pay_confirm_cancel_late_and_refund_half(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    local_stripe: LocalStripe,
    stripe_client: stripe.StripeClient,
) -> None:
    local_stripe.register_webhook(str(client.make_url(WEBHOOK)))
    booking = await held(client, member, pro[1])
    started = await start_payment(client, member, booking["id"])
    assert started.status == 200, await started.text()
    payment = await started.json()
    assert (payment["provider"], payment["browser"]["publishable_key"]) == (
        "stripe",
        "pk_test_localstripe",
    )
    assert payment["breakdown"] == {
        "price": {"minor": 10000, "currency": "USD"},
        "platform_fee": {"minor": 2000, "currency": "USD"},
        "coach_receives": {"minor": 8000, "currency": "USD"},
    }
    ref = payment["client_secret"].split("_secret_")[0]
    await pay_in_browser(stripe_client, ref)
    await until_status(client, member, booking["id"], "confirmed")

    clock.advance((TUESDAY_9AM - clock.now()).total_seconds() - 3 * 3600)  # 3 h before
    quote = await get_json(client, f"/api/bookings/{booking['id']}/cancellation", member)
    assert (quote["refund"], quote["rule"]) == ({"minor": 5000, "currency": "USD"}, "client_late")
    canceled = await (await cancel(client, member, booking["id"])).json()
    assert canceled["refund"]["amount"] == quote["refund"]
    assert canceled["refund"]["status"] == "succeeded"
    at_stripe = await stripe_client.v1.refunds.list_async(params={"payment_intent": ref})
    assert [r.amount for r in at_stripe.data] == [5000]

    ledger = await get_json(client, "/api/admin/ledger", admin)
    assert ledger["balanced"] is True
    sums = {row["account"]: row["balance_minor"] for row in ledger["accounts"]}
    # Paid 100.00, refunded 50.00: the platform keeps 20% of what stayed, the coach the rest.
    assert sums == {"cash": 5000, "platform_fees": -1000, "coach_payable": -4000}
    earned = await get_json(client, "/api/coaches/me/earnings", pro[0])
    (balance,) = earned["balances"]
    figures = {k: balance[k]["minor"] for k in ("gross", "commission", "refunds", "net")}
    assert figures == {"gross": 10000, "commission": 1000, "refunds": 5000, "net": 4000}
    assert (balance["available"]["minor"], balance["pending"]["minor"]) == (4000, 0)
    assert earned["periods"][0]["period"] == "2026-03"

    # Stripe reports the same refund (it does, as refund.created): nothing changes.
    (refund,) = at_stripe.data
    body = {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "currency": "usd",
        "payment_intent": ref,
        "status": "succeeded",
        "metadata": {"refund_id": canceled["refund"]["id"]},
    }
    payload = event("refund.created", body)
    again = await post_event(client, payload, signature(payload, WEBHOOK_SECRET))
    assert (await again.json())["result"] == "known"
    assert (await get_json(client, "/api/admin/ledger", admin))["accounts"] == ledger["accounts"]


async def test_a_bad_signature_changes_nothing(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    payload = event("payment_intent.succeeded", obj)
    for header in (
        None,
        signature(payload, "whsec_wrong"),
        signature(payload, WEBHOOK_SECRET, age_seconds=600),
    ):
        refused = await problem(await post_event(client, payload, header), 400)
        assert refused["code"] == "webhook_signature_invalid"
    assert await status_of(client, member, booking["id"]) == "held"
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


async def test_replays_and_late_arrivals_change_nothing(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    succeeded = event("payment_intent.succeeded", obj, "evt_ok")
    first = await post_event(client, succeeded, signature(succeeded, WEBHOOK_SECRET))
    assert (await first.json())["result"] == "confirmed"
    replay = await post_event(client, succeeded, signature(succeeded, WEBHOOK_SECRET))
    assert (await replay.json())["result"] == "duplicate"
    # A failure sent before the success but arriving after it: the booking stays confirmed.
    failed = event("payment_intent.payment_failed", obj, "evt_failed_earlier")
    late = await post_event(client, failed, signature(failed, WEBHOOK_SECRET))
    assert late.status == 200
    assert await status_of(client, member, booking["id"]) == "confirmed"
    async with services.db.session() as session:
        charges = await session.scalar(select(func.count()).select_from(LedgerTransaction))
    assert charges == 1


async def test_a_declined_card_keeps_the_hold_and_another_card_books(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    failed = event("payment_intent.payment_failed", obj)
    answer = await post_event(client, failed, signature(failed, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "failed"
    assert await status_of(client, member, booking["id"]) == "held"
    # The same PaymentIntent, paid with another card in the same form.
    succeeded = event("payment_intent.succeeded", obj)
    paid = await post_event(client, succeeded, signature(succeeded, WEBHOOK_SECRET))
    assert (await paid.json())["result"] == "confirmed"


async def test_a_canceled_payment_releases_the_hold(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    canceled = event("payment_intent.canceled", obj)
    answer = await post_event(client, canceled, signature(canceled, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "failed"
    assert await status_of(client, member, booking["id"]) == "expired"


async def test_an_event_for_an_unknown_booking_changes_nothing(
    client: Client, services: Services
) -> None:
    obj = {
        "id": "pi_unknown",
        "object": "payment_intent",
        "amount": 10000,
        "currency": "usd",
        "metadata": {"booking_id": "6f1c1d2e-0000-4000-8000-000000000009"},
    }
    payload = event("payment_intent.succeeded", obj)
    refused = await problem(
        await post_event(client, payload, signature(payload, WEBHOOK_SECRET)), 404
    )
    assert refused["code"] == "webhook_unknown_payment"
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0
        assert await session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


async def test_a_refused_refund_stays_pending_and_is_retried_once(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    """Stripe says the payment succeeded, but the refund is refused at first (localstripe
    refuses to refund an intent that was never charged, until it is)."""
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    succeeded = event("payment_intent.succeeded", obj)
    assert (await post_event(client, succeeded, signature(succeeded, WEBHOOK_SECRET))).status == 200

    canceled = await (await cancel(client, member, booking["id"])).json()
    assert canceled["status"] == "canceled_by_client"
    assert (canceled["refund"]["status"], canceled["refund"]["amount"]["minor"]) == (
        "pending",
        10000,
    )
    assert (await get_json(client, "/api/admin/ledger", admin))["accounts"][0]["balance_minor"] == (
        10000
    )  # cash: nothing went back yet

    ref = obj["id"]
    await pay_in_browser(stripe_client, ref)
    # An attempt started this minute is left to itself.
    assert await services.scheduling.refunds.retry_pending() == 0
    clock.advance(ATTEMPT_SECONDS)
    assert await services.scheduling.refunds.retry_pending() == 1
    assert await services.scheduling.refunds.retry_pending() == 0
    at_stripe = await stripe_client.v1.refunds.list_async(params={"payment_intent": ref})
    assert [r.amount for r in at_stripe.data] == [10000]
    ledger = await get_json(client, "/api/admin/ledger", admin)
    assert {row["balance_minor"] for row in ledger["accounts"]} == {0}


async def test_a_refund_that_fails_after_it_succeeded_is_undone_and_can_be_made_again(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    stripe_client: stripe.StripeClient,
) -> None:
    """Stripe may fail a refund after reporting it succeeded (the card was closed since)."""
    booking, obj = await intent_of_a_hold(client, member, pro[1])
    ref = obj["id"]
    await pay_in_browser(stripe_client, ref)
    succeeded = event("payment_intent.succeeded", obj)
    assert (await post_event(client, succeeded, signature(succeeded, WEBHOOK_SECRET))).status == 200
    clock.advance((TUESDAY_9AM - clock.now()).total_seconds() - 3 * 3600)  # 3 h before: 50%
    canceled = await (await cancel(client, member, booking["id"])).json()
    refund = canceled["refund"]
    assert (refund["status"], refund["amount"]["minor"]) == ("succeeded", 5000)
    (made,) = (await stripe_client.v1.refunds.list_async(params={"payment_intent": ref})).data

    body = {
        "id": made.id,
        "object": "refund",
        "amount": 5000,
        "currency": "usd",
        "payment_intent": ref,
        "status": "failed",
        "failure_reason": "expired_or_canceled_card",
        "metadata": {"refund_id": refund["id"]},
    }
    failed = event("refund.failed", body)
    answer = await post_event(client, failed, signature(failed, WEBHOOK_SECRET))
    assert (await answer.json())["result"] == "refund_failed"
    # The books are as if no refund had been made: paid 100.00, fee 20.00, coach 80.00.
    restored = {"cash": 10000, "platform_fees": -2000, "coach_payable": -8000}
    assert await ledger_sums(client, admin) == restored
    earned = await get_json(client, "/api/coaches/me/earnings", pro[0])
    (balance,) = earned["balances"]
    assert (balance["refunds"]["minor"], balance["commission"]["minor"]) == (0, 2000)

    # Told again (another event id, a replay of the same one): nothing more changes.
    again = event("refund.updated", body)
    assert (await (await post_event(client, again, signature(again, WEBHOOK_SECRET))).json())[
        "result"
    ] == "known"
    replay = await post_event(client, failed, signature(failed, WEBHOOK_SECRET))
    assert (await replay.json())["result"] == "duplicate"
    assert await ledger_sums(client, admin) == restored

    # The admins refund the client again: the amount is refundable once more, and only once.
    redo = await admin_refund(client, admin, booking["id"], 5000, "USD")
    assert redo.status == 201, await redo.text()
    assert (await redo.json())["status"] == "succeeded"
    assert await ledger_sums(client, admin) == {
        "cash": 5000,
        "platform_fees": -1000,
        "coach_payable": -4000,
    }
    beyond = await admin_refund(client, admin, booking["id"], 5001, "USD")
    assert (await problem(beyond, 409))["code"] == "refund_too_large"
