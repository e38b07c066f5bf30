"""Payouts of settled earnings, coach earnings, and the ledger behind both (demo provider; the
Stripe Connect transfer against a stand-in for Stripe, see tests/support/fake_stripe_connect)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update

from booking.money import Money
from booking.payments import stripe as stripe_payments
from booking.payments.connect import StripeConnect
from booking.payments.provider import PaymentError
from booking.services.payouts import Payouts
from booking.storage.bookings import Booking
from booking.storage.ledger import LedgerTransaction
from booking.storage.payouts import Payout
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, pro
from tests.booking.support import Caller, Client, get_json, problem
from tests.support.clock import FakeClock
from tests.support.fake_stripe_connect import FakeConnect

__all__ = ["pro"]  # the fixture, shared

AiohttpServer = Callable[[web.Application], Awaitable[TestServer]]


async def complete(services: Services, booking_id: str) -> None:
    """The session took place (its lifecycle is the sessions issue's: set here directly)."""
    async with services.db.session() as session:
        await session.execute(
            update(Booking).where(Booking.id == uuid.UUID(booking_id)).values(status="completed")
        )


async def set_account(client: Client, admin: Caller, coach_id: str, account: str) -> Any:
    return await client.put(
        f"/api/admin/coaches/{coach_id}/payout-account",
        json={"account": account},
        headers=admin.headers,
    )


async def run(client: Client, admin: Caller) -> dict[str, int]:
    response = await client.post("/api/admin/payouts/run", headers=admin.headers)
    assert response.status == 200, await response.text()
    result: dict[str, int] = await response.json()
    return result


async def test_settled_earnings_are_paid_once(
    client: Client, services: Services, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    done = await booked(client, member, pro[1])
    upcoming = await booked(client, member, pro[1], TUESDAY_9AM.replace(hour=15))
    await complete(services, done["id"])
    before = await get_json(client, "/api/coaches/me/earnings", pro[0])
    (balance,) = before["balances"]
    assert (balance["available"]["minor"], balance["pending"]["minor"]) == (8000, 8000)

    assert await run(client, admin) == {"created": 0, "paid": 0, "failed": 0, "skipped": 1}
    assert (await set_account(client, admin, pro[1], "demo_acct_1")).status == 200
    assert await run(client, admin) == {"created": 1, "paid": 1, "failed": 0, "skipped": 0}
    assert await run(client, admin) == {"created": 0, "paid": 0, "failed": 0, "skipped": 0}

    after = await get_json(client, "/api/coaches/me/earnings", pro[0])
    (balance,) = after["balances"]
    assert balance["paid_out"]["minor"] == 8000
    assert (balance["available"]["minor"], balance["pending"]["minor"]) == (0, 8000)
    assert [(p["amount"]["minor"], p["status"]) for p in after["payouts"]] == [(8000, "paid")]
    assert (await get_json(client, "/api/admin/ledger", admin))["balanced"] is True
    assert upcoming["status"] == "confirmed"


async def test_earnings_are_for_coaches_only(client: Client, member: Caller) -> None:
    response = await client.get("/api/coaches/me/earnings", headers=member.headers)
    assert response.status == 403


async def test_a_stripe_payout_account_must_be_a_connect_id(
    client: Client, admin: Caller, pro: tuple[Caller, str]
) -> None:
    missing = await problem(await set_account(client, admin, str(uuid.uuid4()), "x"), 404)
    assert missing["code"] == "coach_not_found"


@pytest.fixture
async def connect(aiohttp_server: AiohttpServer) -> tuple[FakeConnect, str]:
    fake = FakeConnect()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


async def test_a_transfer_sends_stripes_request_with_the_key(
    connect: tuple[FakeConnect, str],
) -> None:
    fake, url = connect
    client = stripe_payments.client("sk_test_fake", url, retries=0)
    try:
        payout_id = uuid.uuid4()
        made = await StripeConnect(client).transfer(
            account="acct_123",
            amount=Money(8000, "USD"),
            idempotency_key=f"payout:{payout_id}",
            payout_id=payout_id,
        )
        fake.failures.append((400, "account_invalid"))
        with pytest.raises(PaymentError, match="account_invalid"):
            await StripeConnect(client).transfer(
                account="acct_456",
                amount=Money(1, "USD"),
                idempotency_key="payout:other",
                payout_id=payout_id,
            )
        with pytest.raises(PaymentError, match="not a Stripe account"):
            await StripeConnect(client).transfer(
                account="demo", amount=Money(1, "USD"), idempotency_key="k", payout_id=payout_id
            )
    finally:
        await stripe_payments.client_close(client)
    assert made.transfer_ref == "tr_1"
    first = fake.requests[0]
    assert first["form"] == {
        "amount": "8000",
        "currency": "usd",
        "destination": "acct_123",
        "metadata[payout_id]": str(payout_id),
    }
    assert first["idempotency_key"] == f"payout:{payout_id}"
    assert first["authorization"] == "Bearer sk_test_fake"
    assert len(fake.requests) == 2  # nothing sent for a non-Stripe account


async def test_a_failed_transfer_stays_payable_and_is_retried_once(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
    connect: tuple[FakeConnect, str],
) -> None:
    fake, url = connect
    done = await booked(client, member, pro[1])
    await complete(services, done["id"])
    stripe_client = stripe_payments.client("sk_test_fake", url, retries=0)
    payouts = Payouts(services.db, clock, StripeConnect(stripe_client))
    try:
        await payouts.set_account(admin.user_id, uuid.UUID(pro[1]), "acct_coach")
        fake.failures.append((500, "api_error"))
        first = await payouts.run()
        assert (first.created, first.paid, first.failed) == (1, 0, 1)
        earned = await get_json(client, "/api/coaches/me/earnings", pro[0])
        assert earned["balances"][0]["available"]["minor"] == 8000  # still payable
        second = await payouts.run()
        assert (second.created, second.paid, second.failed) == (0, 1, 0)
        third = await payouts.run()
        assert (third.created, third.paid, third.failed) == (0, 0, 0)
    finally:
        await stripe_payments.client_close(stripe_client)
    keys = [r["idempotency_key"] for r in fake.requests]
    assert len(keys) == 2
    assert len(set(keys)) == 1  # the retry is the same transfer
    async with services.db.session() as session:
        payout = (await session.scalars(select(Payout))).one()
        kinds = await session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.kind == "payout")
        )
    assert (payout.status, payout.attempts, payout.amount_minor, kinds) == ("paid", 2, 8000, 1)
