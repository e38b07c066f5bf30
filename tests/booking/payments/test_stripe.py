"""The Stripe provider against localstripe (a separate process): PaymentIntents, full and
partial refunds, and webhook signatures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import stripe

from booking.money import Money
from booking.payments import stripe as stripe_payments
from booking.payments.provider import PaymentError, PaymentEvent, PaymentStatus
from booking.payments.stripe import (
    BadEvent,
    BadSignature,
    Ignored,
    RefundEvent,
    StripeProvider,
    intent_event,
    parse_webhook,
)
from tests.support.localstripe import PUBLISHABLE_KEY, WEBHOOK_SECRET
from tests.support.stripe_events import event, signature

BOOKING = uuid.UUID("6f1c1d2e-0000-4000-8000-000000000001")


@pytest.fixture
def provider(stripe_client: stripe.StripeClient) -> StripeProvider:
    return StripeProvider(stripe_client, PUBLISHABLE_KEY)


async def paid(provider: StripeProvider, client: stripe.StripeClient, amount: Money) -> str:
    """A PaymentIntent confirmed with the test card, as Stripe.js would: its id."""
    start = await provider.start(booking_id=BOOKING, amount=amount, idempotency_key="b:1")
    await client.v1.payment_intents.update_async(
        start.provider_ref, params={"payment_method": "pm_card_visa"}
    )
    intent = await client.v1.payment_intents.confirm_async(start.provider_ref)
    assert intent.status == "succeeded"
    return start.provider_ref


async def test_a_payment_intent_carries_the_booking_id_and_nothing_else(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    start = await provider.start(
        booking_id=BOOKING, amount=Money(12050, "EUR"), idempotency_key="booking:x"
    )
    assert (start.provider, start.status) == ("stripe", PaymentStatus.PENDING)
    assert start.client_secret.startswith(start.provider_ref + "_secret_")
    assert start.browser == {"publishable_key": PUBLISHABLE_KEY}
    intent = await stripe_client.v1.payment_intents.retrieve_async(start.provider_ref)
    assert (intent.amount, intent.currency) == (12050, "eur")
    assert intent.metadata.to_dict() == {"booking_id": str(BOOKING)}


async def test_refunds_in_part_then_in_full(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    ref = await paid(provider, stripe_client, Money(10000, "USD"))
    part = await provider.refund(provider_ref=ref, amount=Money(2500, "USD"), idempotency_key="r1")
    rest = await provider.refund(provider_ref=ref, amount=Money(7500, "USD"), idempotency_key="r2")
    assert (part.amount.minor, rest.amount.minor) == (2500, 7500)
    assert part.refund_ref != rest.refund_ref
    listed = await stripe_client.v1.refunds.list_async(params={"payment_intent": ref})
    assert sorted(r.amount for r in listed.data) == [2500, 7500]


async def test_a_refund_of_an_unpaid_intent_is_a_payment_error(provider: StripeProvider) -> None:
    start = await provider.start(booking_id=BOOKING, amount=Money(500, "USD"), idempotency_key="u")
    with pytest.raises(PaymentError, match="refused"):
        await provider.refund(
            provider_ref=start.provider_ref, amount=Money(500, "USD"), idempotency_key="u:r"
        )


async def test_nothing_is_asked_for_zero(provider: StripeProvider) -> None:
    with pytest.raises(PaymentError, match="more than nothing"):
        await provider.start(booking_id=BOOKING, amount=Money(0, "USD"), idempotency_key="z")


def intent(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "pi_123",
        "object": "payment_intent",
        "amount": 10000,
        "currency": "usd",
        "metadata": {"booking_id": str(BOOKING)},
    }
    body.update(changes)
    return body


def test_a_signed_payment_event_is_read() -> None:
    payload = event("payment_intent.succeeded", intent(), "evt_1", created=1772442000)
    verified = parse_webhook(payload, signature(payload, WEBHOOK_SECRET), WEBHOOK_SECRET)
    assert verified.id == "evt_1"
    # When it happened at Stripe: the event's `created`, kept by every retry.
    paid_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert verified.body == PaymentEvent(
        "stripe",
        "pi_123",
        PaymentStatus.SUCCEEDED,
        Money(10000, "USD"),
        BOOKING,
        succeeded_at=paid_at,
    )


def test_refund_events_and_others() -> None:
    refund = {
        "id": "re_1",
        "object": "refund",
        "amount": 300,
        "currency": "usd",
        "payment_intent": "pi_123",
        "status": "succeeded",
        "metadata": {},
    }
    payload = event("refund.created", refund)
    body = parse_webhook(payload, signature(payload, WEBHOOK_SECRET), WEBHOOK_SECRET).body
    assert body == RefundEvent("pi_123", "re_1", Money(300, "USD"), True, None)
    other = event("customer.created", {"id": "cus_1", "object": "customer"})
    assert isinstance(
        parse_webhook(other, signature(other, WEBHOOK_SECRET), WEBHOOK_SECRET).body, Ignored
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1,v1=00",
        "garbage",
    ],
)
def test_bad_signatures_are_refused(header: str | None) -> None:
    with pytest.raises(BadSignature):
        parse_webhook(event("payment_intent.succeeded", intent()), header, WEBHOOK_SECRET)


def test_a_signature_with_another_secret_or_too_old_is_refused() -> None:
    payload = event("payment_intent.succeeded", intent())
    with pytest.raises(BadSignature):
        parse_webhook(payload, signature(payload, "whsec_other"), WEBHOOK_SECRET)
    stale = signature(payload, WEBHOOK_SECRET, age_seconds=stripe_payments.TOLERANCE_SECONDS + 5)
    with pytest.raises(BadSignature):
        parse_webhook(payload, stale, WEBHOOK_SECRET)
    tampered = payload.replace(b"10000", b"1")
    with pytest.raises(BadSignature):
        parse_webhook(tampered, signature(payload, WEBHOOK_SECRET), WEBHOOK_SECRET)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"metadata": {}}, "booking id"),
        ({"currency": "xyz"}, "currency"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
    ],
)
def test_signed_events_we_cannot_use_are_refused(changes: dict[str, object], why: str) -> None:
    payload = event("payment_intent.succeeded", intent(**changes))
    with pytest.raises(BadEvent, match=why):
        parse_webhook(payload, signature(payload, WEBHOOK_SECRET), WEBHOOK_SECRET)


def test_a_read_payment_intent_tells_when_it_was_paid_and_stripes_fee() -> None:
    """The PaymentIntent as Stripe documents it, `latest_charge.balance_transaction` expanded
    (docs.stripe.com/api/payment_intents/object, /api/balance_transactions/object)."""
    intent = {
        "id": "pi_3Mtw",
        "object": "payment_intent",
        "amount": 10000,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"booking_id": "6f1c1d2e-0000-4000-8000-000000000001"},
        "latest_charge": {
            "id": "ch_3Mtw",
            "object": "charge",
            "created": 1772442000,
            "balance_transaction": {
                "id": "txn_3Mtw",
                "object": "balance_transaction",
                "amount": 10000,
                "currency": "usd",
                "fee": 320,
                "net": 9680,
            },
        },
    }
    read = intent_event(intent)
    assert (read.status, read.fee) == (PaymentStatus.SUCCEEDED, Money(320, "USD"))
    assert read.succeeded_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    declined = intent_event(
        {**intent, "status": "requires_payment_method", "last_payment_error": {"code": "x"}}
    )
    assert (declined.status, declined.fee, declined.succeeded_at) == (
        PaymentStatus.FAILED,
        None,
        None,
    )


async def test_localstripe_tells_the_charge_and_its_balance_transaction(
    provider: StripeProvider, stripe_client: stripe.StripeClient
) -> None:
    started = await provider.start(
        booking_id=BOOKING, amount=Money(4200, "USD"), idempotency_key=f"t:{uuid.uuid4()}"
    )
    before = await provider.read(started.provider_ref)
    assert before is not None
    assert (before.status, before.fee) == (PaymentStatus.PENDING, None)
    await stripe_client.v1.payment_intents.update_async(
        started.provider_ref, params={"payment_method": "pm_card_visa"}
    )
    await stripe_client.v1.payment_intents.confirm_async(started.provider_ref)
    after = await provider.read(started.provider_ref)
    assert after is not None
    assert after.status is PaymentStatus.SUCCEEDED
    assert after.succeeded_at is not None
    assert after.fee == Money(0, "USD")  # localstripe charges no fee
