"""The payment provider interface the booking flow talks to.

Step 3 of booking asks the provider for a payment of the booking's price; the browser completes
it with what `PaymentStart` carries; the provider then reports the outcome as a `PaymentEvent`
(the demo provider when the client confirms, Stripe through its webhook), and
the booking service acts on the event. Refunds go through the same interface. Amounts are
`Money`: integer minor units with a currency.

Nothing private crosses this interface: a booking id and a generic description, never session
details, names or notes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from booking.money import Money


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class PaymentStart:
    """What the browser needs to complete a payment."""

    provider: str
    provider_ref: str
    client_secret: str
    status: PaymentStatus
    # Provider-specific data for the browser (Stripe's publishable key; the demo confirm URL).
    browser: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentEvent:
    """A provider's word on a payment: it succeeded, failed or was canceled."""

    provider: str
    provider_ref: str
    status: PaymentStatus
    amount: Money
    booking_id: uuid.UUID
    # When the provider took the money (Stripe: the charge's `created`, or the event's): the
    # hold is judged by it, not by when we heard. None: not known, judged as of now.
    succeeded_at: datetime | None = None
    # The provider's processing fee for the payment (Stripe: the charge's balance
    # transaction), in the currency the provider settles in. None: not known (yet).
    fee: Money | None = None


@dataclass(frozen=True)
class Refund:
    provider_ref: str
    refund_ref: str
    amount: Money


class PaymentError(Exception):
    """The provider refused or failed; the message is safe to show."""


class PaymentProvider(Protocol):
    name: str

    async def start(
        self, *, booking_id: uuid.UUID, amount: Money, idempotency_key: str
    ) -> PaymentStart:
        """Create (or, for the same idempotency key, return again) a payment for a booking."""

    async def read(self, provider_ref: str) -> PaymentEvent | None:
        """The payment as the provider has it now (status, when it succeeded, its fee), so a
        booking never waits on a webhook alone; None for a provider that keeps no state."""

    async def refund(
        self,
        *,
        provider_ref: str,
        amount: Money,
        idempotency_key: str,
        refund_id: uuid.UUID | None = None,
    ) -> Refund:
        """Refund `amount` of a succeeded payment; `refund_id` (ours) travels with it so that
        the provider's refund events can be matched to it."""
