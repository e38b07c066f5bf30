"""Stripe's webhooks: verified, acted on once per event id, safe in any order.

Each delivery's `Stripe-Signature` is checked first (`booking.payments.stripe.parse_webhook`);
a bad one is refused with nothing read or changed. An event id already acted on is answered at
once ("duplicate"). Otherwise the event is acted on, and only then its id recorded, so a
delivery that failed half-way is acted on again when Stripe retries it; every action is
idempotent on its own (a succeeded payment is final; refunds and ledger postings are keyed), so
an event that arrives twice, or after a later one, changes nothing it should not:

- `payment_intent.succeeded`: the payment succeeds and the booking is confirmed if it was paid
  in time, judged by the event's `created` (when Stripe took the money), not by when the
  delivery arrived; paid after the hold ended (or its slot taken since), it is refunded in full.
  Stripe's fee is read from the charge's balance transaction and posted to the ledger;
- `payment_intent.payment_failed`: a declined card; the hold stays until it expires, as the
  client may try another card on the same PaymentIntent;
- `payment_intent.canceled`: the hold is released (ignored once the payment succeeded);
- `refund.created` / `refund.updated` / `charge.refund.updated`: our pending refund settles, or
  a refund made in Stripe's dashboard is recorded, and the ledger follows;
- `refund.failed` (or a refund reported `failed` or `canceled`): our refund is failed, and if it
  had succeeded its ledger posting and the payment's refunded total are undone, so it can be
  refunded again; logged for the admins.

Refusals are logged for the admins with the event id and a code, never the payload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from booking.payments.provider import PaymentEvent
from booking.payments.stripe import BadEvent, BadSignature, Ignored, RefundEvent, parse_webhook
from booking.services.payments import Payments
from booking.services.refunds import Refunds
from booking.storage import webhooks as store
from booking.storage.webhooks import WebhookEvent
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import AppError, BadRequest, Code, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    event_id: str
    type: str
    result: str


class StripeWebhooks:
    def __init__(
        self, db: Database, clock: Clock, payments: Payments, refunds: Refunds, secret: str
    ) -> None:
        self.db = db
        self.clock = clock
        self.payments = payments
        self.refunds = refunds
        self.secret = secret

    async def receive(self, payload: bytes, signature: str | None) -> Received:
        if not self.secret:
            raise NotFound(Code.WEBHOOKS_NOT_CONFIGURED, "This server takes no Stripe webhooks.")
        try:
            verified = parse_webhook(payload, signature, self.secret)
        except BadSignature:
            log.warning("stripe webhook refused: bad signature")
            raise BadRequest(
                Code.WEBHOOK_SIGNATURE_INVALID,
                "The Stripe-Signature header does not match this payload and secret, or is "
                "older than the tolerance.",
            ) from None
        except BadEvent as exc:
            log.warning("stripe webhook refused: %s", exc)
            raise BadRequest(
                Code.WEBHOOK_EVENT_INVALID, f"The event cannot be used: {exc}."
            ) from None
        async with self.db.session() as session:
            if await store.seen(session, "stripe", verified.id):
                log.info("stripe event %s (%s) again: nothing to do", verified.id, verified.type)
                return Received(verified.id, verified.type, "duplicate")
        try:
            result = await self._act(verified.body)
        except AppError as exc:
            log.warning("stripe event %s (%s) refused: %s", verified.id, verified.type, exc.code)
            raise
        await self._remember(verified.id, verified.type)
        log.info("stripe event %s (%s): %s", verified.id, verified.type, result)
        return Received(verified.id, verified.type, result)

    async def _act(self, body: PaymentEvent | RefundEvent | Ignored) -> str:
        if isinstance(body, Ignored):
            return "ignored"
        if isinstance(body, RefundEvent):
            return await self.refunds.reported(body)
        try:
            applied = await self.payments.apply(body, release=True)
        except NotFound as exc:
            if exc.code is Code.PAYMENT_NOT_FOUND:
                raise NotFound(
                    Code.WEBHOOK_UNKNOWN_PAYMENT,
                    "No booking of ours has this payment; nothing was changed.",
                ) from None
            raise
        return applied.outcome.value

    async def _remember(self, event_id: str, kind: str) -> None:
        try:
            async with self.db.session() as session:
                session.add(
                    WebhookEvent(
                        provider="stripe",
                        event_id=event_id,
                        type=kind,
                        received_at=self.clock.now(),
                    )
                )
        except IntegrityError:  # a concurrent delivery of the same event recorded it
            pass
