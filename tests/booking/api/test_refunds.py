"""Refunds by the cancellation policy (quoted, then made), by admins, and their refusals."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.policy import states
from booking.storage.bookings import Booking, Payment
from booking.storage.refunds import PaymentRefund
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_changes import cancel
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, held, pro
from tests.booking.support import Caller, Client, get_json, make_user, problem
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared


async def quote(client: Client, caller: Caller, booking_id: str) -> Any:
    return await get_json(client, f"/api/bookings/{booking_id}/cancellation", caller)


async def ledger_sums(client: Client, admin: Caller) -> dict[str, int]:
    body = await get_json(client, "/api/admin/ledger", admin)
    assert body["balanced"] is True
    return {row["account"]: row["balance_minor"] for row in body["accounts"]}


async def test_the_quote_follows_the_policy_and_the_cancel_refunds_it(
    client: Client, member: Caller, admin: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    early = await quote(client, member, booking["id"])
    assert (early["cancel_as"], early["refund"]["minor"], early["rule"]) == (
        "cancel_by_client",
        10000,
        "client_with_notice",
    )
    clock.advance((TUESDAY_9AM - clock.now()).total_seconds() - 23 * 3600)
    late = await quote(client, member, booking["id"])
    assert (late["refund"]["minor"], late["rule"]) == (5000, "client_late")
    canceled = await (await cancel(client, member, booking["id"])).json()
    assert canceled["refund"]["amount"]["minor"] == 5000
    assert await ledger_sums(client, admin) == {
        "cash": 5000,
        "coach_payable": -4000,
        "platform_fees": -1000,
    }


async def test_a_coach_cancellation_refunds_everything(
    client: Client, member: Caller, admin: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    clock.advance((TUESDAY_9AM - clock.now()).total_seconds() - 3600)
    coach_quote = await quote(client, pro[0], booking["id"])
    assert (coach_quote["cancel_as"], coach_quote["refund"]["minor"]) == ("cancel_by_coach", 10000)
    canceled = await (await cancel(client, pro[0], booking["id"])).json()
    assert canceled["refund"]["amount"]["minor"] == 10000
    assert await ledger_sums(client, admin) == {"cash": 0, "coach_payable": 0, "platform_fees": 0}


async def test_the_terms_in_money_before_paying_and_before_a_move(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await held(client, member, pro[1])  # 100.00 USD, Tuesday 09:00 New York
    path = f"/api/bookings/{booking['id']}/cancellation-policy"
    terms = await get_json(client, path, member)
    assert terms["free_until"] == "2026-03-09T13:00:00Z"  # 24 h before 09:00 EDT
    assert (terms["price"]["minor"], terms["late_refund"]["minor"]) == (10000, 5000)
    assert terms["late_percent"] == 50
    moved = await client.get(
        path, params={"start": "2026-03-10T14:30:00+00:00"}, headers=member.headers
    )
    assert (await moved.json())["free_until"] == "2026-03-09T14:30:00Z"
    stranger = await make_user(member.services, Role.CLIENT)
    assert (await problem(await client.get(path, headers=stranger.headers), 404))["code"]
    bad = await client.get(path, params={"start": "soon"}, headers=member.headers)
    assert (await problem(bad, 422))["code"]


async def test_a_session_under_way_cannot_be_canceled_or_moved(
    client: Client, member: Caller, admin: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    before = await get_json(client, f"/api/bookings/{booking['id']}", member)
    assert {"cancel_by_client", "reschedule"} <= set(before["actions"])
    clock.advance((TUESDAY_9AM - clock.now()).total_seconds() + 60)  # a minute in
    for caller in (member, pro[0]):
        refused = await problem(await cancel(client, caller, booking["id"]), 409)
        assert refused["code"] == "illegal_transition"
        assert "has started" in refused["detail"]
        response = await client.get(
            f"/api/bookings/{booking['id']}/cancellation", headers=caller.headers
        )
        assert "has started" in (await problem(response, 409))["detail"]
        now = await get_json(client, f"/api/bookings/{booking['id']}", caller)
        assert now["status"] == "confirmed"
        assert not {"cancel_by_client", "cancel_by_coach", "reschedule"} & set(now["actions"])
    assert await ledger_sums(client, admin) == {
        "cash": 10000,
        "coach_payable": -8000,
        "platform_fees": -2000,
    }


async def test_abandoning_an_unpaid_hold_refunds_nothing(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    nothing = await quote(client, member, booking["id"])
    assert (nothing["cancel_as"], nothing["refund"]["minor"], nothing["rule"]) == (
        "abandon",
        0,
        None,
    )
    assert (await (await cancel(client, member, booking["id"])).json())["refund"] is None


async def test_a_quote_for_a_booking_that_cannot_be_canceled_is_refused(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    await cancel(client, member, booking["id"])
    response = await client.get(
        f"/api/bookings/{booking['id']}/cancellation", headers=member.headers
    )
    assert (await problem(response, 409))["code"] == "illegal_transition"


async def admin_refund(client: Client, admin: Caller, booking_id: str, minor: int, cur: str) -> Any:
    return await client.post(
        f"/api/admin/bookings/{booking_id}/refunds",
        json={"amount": {"minor": minor, "currency": cur}},
        headers=admin.headers,
    )


@pytest.mark.parametrize(
    ("minor", "currency", "status", "code"),
    [
        (100, "XYZ", 422, "unsupported_currency"),
        (0, "USD", 422, "amount_not_positive"),
        (-100, "USD", 422, "amount_not_positive"),
        (100, "EUR", 422, "currency_mismatch"),
        (10001, "USD", 409, "refund_too_large"),
    ],
)
async def test_bad_refunds_are_refused_logged_and_change_nothing(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
    minor: int,
    currency: str,
    status: int,
    code: str,
) -> None:
    booking = await booked(client, member, pro[1])
    before = await ledger_sums(client, admin)
    with caplog.at_level(logging.WARNING, logger="booking.services.refunds"):
        refused = await problem(
            await admin_refund(client, admin, booking["id"], minor, currency), status
        )
    assert refused["code"] == code
    assert any(code in record.getMessage() for record in caplog.records)
    assert await ledger_sums(client, admin) == before
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PaymentRefund)) == 0


async def test_admin_refunds_add_up_to_at_most_what_was_paid(
    client: Client, services: Services, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    first = await admin_refund(client, admin, booking["id"], 2599, "USD")
    assert first.status == 201, await first.text()
    too_much = await problem(await admin_refund(client, admin, booking["id"], 7402, "USD"), 409)
    assert too_much["code"] == "refund_too_large"
    rest = await admin_refund(client, admin, booking["id"], 7401, "USD")
    assert rest.status == 201
    none_left = await problem(await admin_refund(client, admin, booking["id"], 1, "USD"), 409)
    assert none_left["code"] == "nothing_to_refund"
    assert await ledger_sums(client, admin) == {"cash": 0, "coach_payable": 0, "platform_fees": 0}
    async with services.db.session() as session:
        payment = (await session.scalars(select(Payment))).one()
    assert payment.refunded_minor == payment.amount_minor


async def test_refunds_are_for_admins(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    response = await admin_refund(client, member, booking["id"], 100, "USD")
    assert response.status == 403


async def test_refused_payments_are_logged_for_admins(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    confirmed = await booked(client, member, pro[1])
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    with caplog.at_level(logging.WARNING, logger="booking.services.payments"):
        again = await client.post(
            f"/api/bookings/{confirmed['id']}/payment", headers=member.headers
        )
        theirs = await client.post(
            f"/api/bookings/{confirmed['id']}/payment", headers=stranger.headers
        )
    assert (await problem(again, 409))["code"] == "illegal_transition"
    assert (await problem(theirs, 404))["code"] == "booking_not_found"
    logged = [r.getMessage() for r in caplog.records]
    assert any("illegal_transition" in m and confirmed["id"] in m for m in logged)
    assert any("booking_not_found" in m and str(stranger.user_id) in m for m in logged)


@pytest.mark.parametrize(
    ("outcome", "event", "refunded"),
    [("no_show_coach", "no_show_coach", 10000), ("no_show_client", "no_show_client", 0)],
)
async def test_no_shows_refund_by_the_policy(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    outcome: str,
    event: str,
    refunded: int,
) -> None:
    """The sessions issue marks no-shows; this is the call it makes, in its transaction."""
    booking = await booked(client, member, pro[1])
    refunds = services.scheduling.refunds
    async with services.db.session() as session:
        row = await session.get(Booking, uuid.UUID(booking["id"]))
        assert row is not None
        row.status = outcome
        refund_id = await refunds.owe(session, row, states.Event(event), services.clock.now())
    if refund_id is not None:
        await refunds.make(refund_id)
    async with services.db.session() as session:
        payment = (await session.scalars(select(Payment))).one()
    assert payment.refunded_minor == refunded
