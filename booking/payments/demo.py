"""The demo payment provider: the embedded default, refused in production.

It moves no money. Refunds and payouts (`transfer`) succeed at once with references derived from
their idempotency keys, so a retry is the same refund or transfer, as at Stripe.

A payment completes when the client confirms it (`confirm`), which proves
knowledge of the client secret, an HMAC of the payment reference under a key derived from
SECRET_KEY; it needs no state of its own, as the booking service keeps the payment's row.
A card "number" ending in 0002 is declined, as Stripe's test card 4000 0000 0000 0002 is, so the
failure path can be tried in the demo.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from booking.money import Money
from booking.payments.connect import Transfer
from booking.payments.provider import (
    PaymentError,
    PaymentEvent,
    PaymentStart,
    PaymentStatus,
    Refund,
)
from realtime.keys import derive

DECLINED_CARD_SUFFIX = "0002"


class DemoProvider:
    name = "demo"

    def __init__(self, secret_key: str) -> None:
        self.key = derive(secret_key, "demo-payments")

    def _secret(self, provider_ref: str) -> str:
        digest = hmac.new(self.key, provider_ref.encode(), hashlib.sha256).hexdigest()
        return f"{provider_ref}_secret_{digest[:32]}"

    async def start(
        self, *, booking_id: uuid.UUID, amount: Money, idempotency_key: str
    ) -> PaymentStart:
        if amount.minor <= 0:
            raise PaymentError("A payment must be for more than nothing.")
        # The same key gives the same reference, so a retried start is the same payment.
        seed = f"{booking_id}:{idempotency_key}".encode()
        ref = "demo_pi_" + hashlib.sha256(seed).hexdigest()[:24]
        return PaymentStart(
            provider=self.name,
            provider_ref=ref,
            client_secret=self._secret(ref),
            status=PaymentStatus.PENDING,
            browser={"confirm_url": "/api/payments/demo/confirm"},
        )

    def confirm(
        self, *, client_secret: str, amount: Money, booking_id: uuid.UUID, card_last4: str
    ) -> PaymentEvent:
        """The client's confirmation, as the event a real provider would send."""
        ref, _, _ = client_secret.partition("_secret_")
        if not hmac.compare_digest(self._secret(ref).encode(), client_secret.encode()):
            raise PaymentError("This payment's client secret is not valid.")
        status = (
            PaymentStatus.FAILED if card_last4 == DECLINED_CARD_SUFFIX else PaymentStatus.SUCCEEDED
        )
        return PaymentEvent(self.name, ref, status, amount, booking_id)

    async def read(self, provider_ref: str) -> PaymentEvent | None:
        """None: the demo keeps no state; its confirmation is the only word on a payment."""
        return None

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
        refund_ref = "demo_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return Refund(provider_ref, refund_ref, amount)

    async def transfer(
        self, *, account: str, amount: Money, idempotency_key: str, payout_id: uuid.UUID
    ) -> Transfer:
        if amount.minor <= 0:
            raise PaymentError("A transfer must be for more than nothing.")
        ref = "demo_tr_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return Transfer(ref, amount)
