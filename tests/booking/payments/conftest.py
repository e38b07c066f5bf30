"""localstripe for the session, and apps that pay through it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import stripe

from booking.payments import stripe as stripe_payments
from realtime.settings import Settings
from tests.support import localstripe
from tests.support.localstripe import LocalStripe
from tests.support.stacks import Stack


@pytest.fixture(scope="session")
def local_stripe() -> Iterator[LocalStripe]:
    with localstripe.running() as server:
        yield server


@pytest.fixture
def settings(stack: Stack, tmp_path: Path, local_stripe: LocalStripe) -> Settings:
    """The test's stack with payments through localstripe."""
    return stack.settings_for(
        tmp_path,
        payments_provider="stripe",
        stripe_secret_key=localstripe.SECRET_KEY,
        stripe_publishable_key=localstripe.PUBLISHABLE_KEY,
        stripe_webhook_secret=localstripe.WEBHOOK_SECRET,
        stripe_api_base=local_stripe.url,
    )


@pytest.fixture
async def stripe_client(local_stripe: LocalStripe) -> AsyncIterator[stripe.StripeClient]:
    """A client of our own, playing the browser (Stripe.js) and the Stripe dashboard."""
    client = stripe_payments.client(localstripe.SECRET_KEY, local_stripe.url, retries=0)
    try:
        yield client
    finally:
        await stripe_payments.client_close(client)
