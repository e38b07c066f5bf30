"""Paying coaches: transfers to their connected accounts ("separate charges and transfers").

`Transfers` is the small interface the payout job uses. `StripeConnect` makes a Stripe Connect
transfer (`client.v1.transfers`) from the platform's balance to the coach's `acct_...` with the
payout's idempotency key, so a retried payout is the same transfer. localstripe has no Connect
(see FACTS.md), so its tests run against a stand-in for Stripe's HTTP API. The demo provider
implements `Transfers` too (`booking.payments.demo.DemoProvider.transfer`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import stripe

from booking.money import Money
from booking.payments.provider import PaymentError
from booking.payments.stripe import failure


@dataclass(frozen=True)
class Transfer:
    transfer_ref: str
    amount: Money


class Transfers(Protocol):
    name: str

    async def transfer(
        self, *, account: str, amount: Money, idempotency_key: str, payout_id: uuid.UUID
    ) -> Transfer:
        """Send `amount` to `account`; the same key never sends twice. PaymentError if refused."""


class StripeConnect:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client

    async def transfer(
        self, *, account: str, amount: Money, idempotency_key: str, payout_id: uuid.UUID
    ) -> Transfer:
        if amount.minor <= 0:
            raise PaymentError("A transfer must be for more than nothing.")
        if not account.startswith("acct_"):
            raise PaymentError("The coach's payout account is not a Stripe account.")
        try:
            made = await self.client.v1.transfers.create_async(
                params={
                    "amount": amount.minor,
                    "currency": amount.currency.lower(),
                    "destination": account,
                    "metadata": {"payout_id": str(payout_id)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise failure(exc) from None
        return Transfer(made.id, Money(made.amount, amount.currency))
