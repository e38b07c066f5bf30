"""Steps 3 and 4 of booking: paying for a hold with the demo provider, and what follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.storage.bookings import BookingEvent, Payment
from realtime.auth.models import Role
from realtime.idempotency import IdempotencyRecord
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM, WEEKDAYS, hold, hold_body
from tests.booking.support import Caller, Client, listed_coach, make_user, problem
from tests.support.clock import FakeClock

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


@pytest.fixture
async def pro(client: Client, services: Services, admin: Caller) -> tuple[Caller, str]:
    """A listed coach working weekdays 09:00-17:00 in New York: (coach, coach id)."""
    return await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)


async def held(client: Client, member: Caller, coach_id: str, start: datetime = TUESDAY_9AM) -> Any:
    """Step 1: a held booking's JSON."""
    response = await hold(client, member, hold_body(coach_id, start))
    assert response.status == 201, await response.text()
    return await response.json()


async def start_payment(client: Client, member: Caller, booking_id: str, **headers: str) -> Any:
    return await client.post(
        f"/api/bookings/{booking_id}/payment", headers={**member.headers, **headers}
    )


async def confirm(
    client: Client, member: Caller, secret: str, card: str = GOOD_CARD, **headers: str
) -> Any:
    return await client.post(
        "/api/payments/demo/confirm",
        json={"client_secret": secret, "card_number": card},
        headers={**member.headers, **headers},
    )


async def client_secret(client: Client, member: Caller, booking_id: str) -> str:
    response = await start_payment(client, member, booking_id)
    assert response.status == 200, await response.text()
    secret: str = (await response.json())["client_secret"]
    return secret


async def booked(
    client: Client, member: Caller, coach_id: str, start: datetime = TUESDAY_9AM
) -> Any:
    """Steps 1, 3 and 4: a confirmed booking's JSON."""
    booking = await held(client, member, coach_id, start)
    secret = await client_secret(client, member, booking["id"])
    response = await confirm(client, member, secret)
    assert response.status == 200, await response.text()
    return (await response.json())["booking"]


async def status_of(client: Client, caller: Caller, booking_id: str) -> str:
    response = await client.get(f"/api/bookings/{booking_id}", headers=caller.headers)
    assert response.status == 200, await response.text()
    status: str = (await response.json())["status"]
    return status


async def the_payment(services: Services) -> Payment:
    async with services.db.session() as session:
        return (await session.scalars(select(Payment))).one()


async def test_paying_confirms_the_booking(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    started = await start_payment(client, member, booking["id"])
    assert started.status == 200, await started.text()
    payment = await started.json()
    assert payment["provider"] == "demo"
    assert payment["status"] == "pending"
    assert payment["amount"] == {"minor": 10000, "currency": "USD"}
    assert payment["browser"] == {"confirm_url": "/api/payments/demo/confirm"}

    confirmed = await confirm(client, member, payment["client_secret"])
    assert confirmed.status == 200, await confirmed.text()
    body = await confirmed.json()
    assert body["payment"]["status"] == "succeeded"
    assert body["booking"]["status"] == "confirmed"
    assert body["booking"]["hold_expires_at"] is None
    assert await status_of(client, member, booking["id"]) == "confirmed"


async def test_starting_twice_gives_the_same_payment(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    first = await (await start_payment(client, member, booking["id"])).json()
    second = await (await start_payment(client, member, booking["id"])).json()
    assert first == second
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Payment)) == 1


async def test_a_declined_card_keeps_the_hold(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    secret = await client_secret(client, member, booking["id"])
    declined = await problem(await confirm(client, member, secret, DECLINED_CARD), 402)
    assert declined["code"] == "payment_failed"
    assert "stays held" in declined["detail"]
    assert await status_of(client, member, booking["id"]) == "held"
    retried = await confirm(client, member, secret, GOOD_CARD)
    assert (await retried.json())["booking"]["status"] == "confirmed"


async def test_a_late_payment_is_refunded_and_never_double_books(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
) -> None:
    booking = await held(client, member, pro[1])
    secret = await client_secret(client, member, booking["id"])
    clock.advance(10 * 60 + 1)
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, other, hold_body(pro[1], TUESDAY_9AM))).status == 201

    late = await problem(await confirm(client, member, secret), 409)
    assert late["code"] == "hold_expired"
    assert "refunded in full" in late["detail"]
    assert await status_of(client, member, booking["id"]) == "expired"
    payment = await the_payment(services)
    assert (payment.status, payment.refunded_minor) == ("succeeded", payment.amount_minor)
    # The same event again changes nothing and refunds nothing twice.
    again = await problem(await confirm(client, member, secret), 409)
    assert again["code"] == "hold_expired"
    assert (await the_payment(services)).refunded_minor == payment.amount_minor


async def test_a_late_payment_leaves_the_slot_free_for_another_client(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    clock: FakeClock,
) -> None:
    booking = await held(client, member, pro[1])
    secret = await client_secret(client, member, booking["id"])
    clock.advance(10 * 60 + 1)
    assert (await problem(await confirm(client, member, secret), 409))["code"] == "hold_expired"
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, other, hold_body(pro[1], TUESDAY_9AM))).status == 201


async def test_confirming_twice_changes_nothing(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    secret = await client_secret(client, member, booking["id"])
    first = await (await confirm(client, member, secret)).json()
    second = await confirm(client, member, secret, DECLINED_CARD)
    assert second.status == 200
    assert (await second.json()) == first
    async with services.db.session() as session:
        pays = await session.scalar(
            select(func.count()).select_from(BookingEvent).where(BookingEvent.event == "pay")
        )
    assert pays == 1


async def test_idempotent_retries_return_the_first_answer(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    first = await start_payment(client, member, booking["id"], **{"Idempotency-Key": "pay-1"})
    retry = await start_payment(client, member, booking["id"], **{"Idempotency-Key": "pay-1"})
    assert (await first.json()) == (await retry.json())
    assert retry.headers["Idempotent-Replayed"] == "true"

    secret = (await first.json())["client_secret"]
    declined = await confirm(client, member, secret, DECLINED_CARD, **{"Idempotency-Key": "c-1"})
    replayed = await confirm(client, member, secret, DECLINED_CARD, **{"Idempotency-Key": "c-1"})
    assert (declined.status, replayed.status) == (402, 402)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    done = await confirm(client, member, secret, GOOD_CARD, **{"Idempotency-Key": "c-2"})
    redone = await confirm(client, member, secret, GOOD_CARD, **{"Idempotency-Key": "c-2"})
    assert (await done.json()) == (await redone.json())
    assert redone.headers["Idempotent-Replayed"] == "true"


async def test_stored_answers_keep_no_client_secret_in_plain_text(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    held_now = await client.post(
        "/api/bookings",
        json=hold_body(pro[1], TUESDAY_9AM),
        headers={**member.headers, "Idempotency-Key": "h-1"},
    )
    booking = await held_now.json()
    first = await start_payment(client, member, booking["id"], **{"Idempotency-Key": "pay-1"})
    secret = (await first.json())["client_secret"]
    async with services.db.session() as session:
        stored = list((await session.scalars(select(IdempotencyRecord.body))).all())
    assert len(stored) == 2  # the hold's answer and the payment's
    for body in stored:
        assert body is not None
        assert secret.encode() not in body
        assert booking["id"].encode() not in body  # nothing of the answer shows
    retry = await start_payment(client, member, booking["id"], **{"Idempotency-Key": "pay-1"})
    assert (await retry.json())["client_secret"] == secret


async def test_only_a_live_hold_can_be_paid(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    confirmed = await booked(client, member, pro[1])
    paid = await problem(await start_payment(client, member, confirmed["id"]), 409)
    assert paid["code"] == "illegal_transition"
    booking = await held(client, member, pro[1], TUESDAY_9AM.replace(hour=15))
    clock.advance(10 * 60 + 1)
    expired = await problem(await start_payment(client, member, booking["id"]), 409)
    assert expired["code"] == "hold_expired"


async def test_only_the_client_pays(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    theirs = await problem(await start_payment(client, stranger, booking["id"]), 404)
    assert theirs["code"] == "booking_not_found"
    coach = await problem(await start_payment(client, pro[0], booking["id"]), 403)
    assert coach["code"] == "forbidden"
    secret = await client_secret(client, member, booking["id"])
    stolen = await problem(await confirm(client, stranger, secret), 404)
    assert stolen["code"] == "payment_not_found"
    assert await status_of(client, member, booking["id"]) == "held"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"client_secret": "demo_pi_x_secret_y", "card_number": GOOD_CARD},
            404,
            "payment_not_found",
        ),
        ({"client_secret": "s", "card_number": "4242"}, 422, "validation_failed"),
        ({"client_secret": "s", "card_number": "4242-4242-4242-4242"}, 422, "validation_failed"),
        ({"client_secret": "", "card_number": GOOD_CARD}, 422, "validation_failed"),
    ],
)
async def test_bad_confirmations_are_refused(
    client: Client, member: Caller, body: dict[str, str], status: int, code: str
) -> None:
    response = await client.post("/api/payments/demo/confirm", json=body, headers=member.headers)
    assert (await problem(response, status))["code"] == code


async def test_a_forged_secret_confirms_nothing(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    secret = await client_secret(client, member, booking["id"])
    forged = secret[:-4] + ("0000" if not secret.endswith("0000") else "1111")
    assert (await problem(await confirm(client, member, forged), 404))["code"] == (
        "payment_not_found"
    )
    assert await status_of(client, member, booking["id"]) == "held"


async def test_the_coach_sees_whom_they_meet(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    assert booking["client_name"] == "Cleo Client"  # the confirm's answer
    coach, _ = pro
    one = await client.get(f"/api/bookings/{booking['id']}", headers=coach.headers)
    assert (await one.json())["client_name"] == "Cleo Client"
    listed = await client.get("/api/bookings?role=coach", headers=coach.headers)
    assert [b["client_name"] for b in (await listed.json())["items"]] == ["Cleo Client"]
