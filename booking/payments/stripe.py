"""Payments through Stripe: PaymentIntents, refunds and signed webhooks.

Built on the official SDK's `StripeClient` (`client.v1.payment_intents`, `client.v1.refunds`)
with its aiohttp transport, and pointed at `STRIPE_API_BASE` when set (tests use localstripe).
A PaymentIntent carries the booking id in its metadata and nothing else about the booking;
every call that creates something sends an idempotency key.

`read` fetches a PaymentIntent with its latest charge and that charge's balance transaction
expanded, so one call tells the status, when the money was taken (the charge's `created`) and
Stripe's processing fee (the balance transaction's `fee`, in the currency Stripe settles in).

`parse_webhook` checks the `Stripe-Signature` header with `stripe.Webhook.construct_event`
(300 s tolerance, measured on the system clock as Stripe signs with its own) and turns the
events we act on into `PaymentEvent` or `RefundEvent`; any other event type is `Ignored`.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe

from booking.money import CURRENCIES, Money
from booking.payments.provider import (
    PaymentError,
    PaymentEvent,
    PaymentStart,
    PaymentStatus,
    Refund,
)

log = logging.getLogger(__name__)

NAME = "stripe"
TOLERANCE_SECONDS = 300

_STATUSES = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

PAYMENT_EVENTS = {
    "payment_intent.succeeded": PaymentStatus.SUCCEEDED,
    "payment_intent.payment_failed": PaymentStatus.FAILED,
    "payment_intent.canceled": PaymentStatus.CANCELED,
}
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")


def client(secret_key: str, api_base: str = "", *, retries: int = 2) -> stripe.StripeClient:
    """A StripeClient on aiohttp; close it with `await client_close(client)`."""
    bases: Any = {"api": api_base.rstrip("/")} if api_base else None
    return stripe.StripeClient(
        secret_key,
        base_addresses=bases,
        http_client=stripe.AIOHTTPClient(),
        max_network_retries=retries,
    )


async def client_close(client: stripe.StripeClient) -> None:
    http = client._requestor._client
    if http is not None:
        await http.close_async()  # type: ignore[no-untyped-call]  # untyped in the SDK


def failure(exc: stripe.StripeError) -> PaymentError:
    """A Stripe error as a message safe to show: Stripe's message for the card holder, or a
    generic one (never the raw error, which may carry request details)."""
    code = exc.code or type(exc).__name__
    log.warning("stripe refused: %s (HTTP %s)", code, exc.http_status)
    shown = exc.user_message if isinstance(exc, stripe.CardError) else None
    return PaymentError(shown or f"The payment provider refused the request ({code}).")


class StripeProvider:
    name = NAME

    def __init__(self, client: stripe.StripeClient, publishable_key: str) -> None:
        self.client = client
        self.publishable_key = publishable_key

    async def start(
        self, *, booking_id: uuid.UUID, amount: Money, idempotency_key: str
    ) -> PaymentStart:
        if amount.minor <= 0:
            raise PaymentError("A payment must be for more than nothing.")
        try:
            intent = await self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount.minor,
                    "currency": amount.currency.lower(),
                    # Cards only: localstripe refuses automatic_payment_methods.
                    "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
                    "metadata": {"booking_id": str(booking_id)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise failure(exc) from None
        return PaymentStart(
            provider=self.name,
            provider_ref=intent.id,
            client_secret=intent.client_secret or "",
            status=_STATUSES.get(intent.status, PaymentStatus.PENDING),
            browser={"publishable_key": self.publishable_key},
        )

    async def read(self, provider_ref: str) -> PaymentEvent | None:
        try:
            intent = await self.client.v1.payment_intents.retrieve_async(
                provider_ref, params={"expand": ["latest_charge.balance_transaction"]}
            )
        except stripe.StripeError as exc:
            raise failure(exc) from None
        return intent_event(intent.to_dict())

    async def refund(
        self,
        *,
        provider_ref: str,
        amount: Money,
        idempotency_key: str,
        refund_id: uuid.UUID | None = None,
    ) -> Refund:
        if amount.minor <= 0:
            raise PaymentError("A refund must be for more than nothing.")
        metadata = {"refund_id": str(refund_id)} if refund_id is not None else {}
        try:
            made = await self.client.v1.refunds.create_async(
                params={
                    "payment_intent": provider_ref,
                    "amount": amount.minor,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise failure(exc) from None
        if made.status == "failed":
            raise PaymentError("The payment provider could not make the refund.")
        return Refund(provider_ref, made.id, Money(made.amount, amount.currency))


@dataclass(frozen=True)
class RefundEvent:
    """A refund Stripe reports (made by us or in its dashboard)."""

    provider_ref: str  # the PaymentIntent
    refund_ref: str
    amount: Money
    succeeded: bool
    refund_id: uuid.UUID | None  # ours, from the refund's metadata, when we made it
    # The refund did not reach the client (Stripe's `failed`, or `canceled`), possibly after it
    # had succeeded: a card closed since the payment, say.
    failed: bool = False


@dataclass(frozen=True)
class Ignored:
    type: str


@dataclass(frozen=True)
class Verified:
    id: str
    type: str
    body: PaymentEvent | RefundEvent | Ignored


class BadSignature(Exception):
    """The payload is not signed with our secret within the tolerance."""


class BadEvent(Exception):
    """A signed event we act on that lacks what we need (booking id, currency, amount)."""


def parse_webhook(payload: bytes, signature: str | None, secret: str) -> Verified:
    """Verify and read one webhook delivery."""
    try:
        event = stripe.Webhook.construct_event(
            payload.decode(), signature, secret, tolerance=TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
        raise BadSignature(str(exc)) from None
    kind = str(event.type)
    data: dict[str, Any] = json.loads(payload)["data"]["object"]  # plain JSON, as signed
    if kind in PAYMENT_EVENTS:
        status = PAYMENT_EVENTS[kind]
        # Stripe stamps an event when it happens and keeps the stamp on every retry: the time
        # the payment succeeded, however late the delivery reaches us.
        created = json.loads(payload).get("created")
        at = _time(created) if status is PaymentStatus.SUCCEEDED else None
        body: PaymentEvent | RefundEvent | Ignored = PaymentEvent(
            NAME, str(data["id"]), status, _money(data), _booking_id(data), succeeded_at=at
        )
    elif kind in REFUND_EVENTS:
        intent = data.get("payment_intent")
        if not intent:
            raise BadEvent("a refund without its payment intent")
        metadata = data.get("metadata") or {}
        body = RefundEvent(
            provider_ref=str(intent),
            refund_ref=str(data["id"]),
            amount=_money(data),
            succeeded=data.get("status") == "succeeded",
            refund_id=_uuid(metadata.get("refund_id")),
            failed=kind == "refund.failed" or data.get("status") in ("failed", "canceled"),
        )
    else:
        body = Ignored(kind)
    return Verified(str(event.id), kind, body)


def intent_event(intent: dict[str, Any]) -> PaymentEvent:
    """A PaymentIntent as Stripe's API answers it (`latest_charge.balance_transaction`
    expanded) as our event: its status, when its charge was made and the charge's fee."""
    status = _STATUSES.get(str(intent.get("status")), PaymentStatus.PENDING)
    if status is PaymentStatus.PENDING and intent.get("last_payment_error"):
        status = PaymentStatus.FAILED  # declined; open for another card until the hold ends
    charge = intent.get("latest_charge")
    at = fee = None
    if status is PaymentStatus.SUCCEEDED and isinstance(charge, dict):
        at = _time(charge.get("created"))
        txn = charge.get("balance_transaction")
        if isinstance(txn, dict):
            fee = _fee(txn)
    return PaymentEvent(
        NAME,
        str(intent["id"]),
        status,
        _money(intent),
        _booking_id(intent),
        succeeded_at=at,
        fee=fee,
    )


def _fee(txn: dict[str, Any]) -> Money | None:
    currency = str(txn.get("currency") or "").upper()
    fee = txn.get("fee")
    if currency not in CURRENCIES or not isinstance(fee, int) or fee < 0:
        log.warning("balance transaction %s: no usable fee", txn.get("id"))
        return None
    return Money(fee, currency)


def _time(raw: object) -> datetime | None:
    if isinstance(raw, int) and 0 < raw < 253402300800:  # before year 10000
        return datetime.fromtimestamp(raw, UTC)
    return None


def _money(data: Any) -> Money:
    currency = str(data.get("currency") or "").upper()
    amount = data.get("amount")
    if currency not in CURRENCIES:
        raise BadEvent(f"unsupported currency {currency or '(none)'}")
    if not isinstance(amount, int) or amount <= 0:
        raise BadEvent("the amount is not a positive whole number of minor units")
    return Money(amount, currency)


def _booking_id(data: Any) -> uuid.UUID:
    found = _uuid((data.get("metadata") or {}).get("booking_id"))
    if found is None:
        raise BadEvent("no booking id in the payment's metadata")
    return found


def _uuid(raw: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
