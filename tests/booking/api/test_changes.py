"""Reschedule and cancel: atomic moves, the 24-hour consent rule, and the state machine."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from booking.storage.bookings import Booking
from realtime.auth.models import Role
from realtime.vault import DataKey
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM, hold, hold_body
from tests.booking.api.test_payment import booked, held, pro, status_of
from tests.booking.support import Caller, Client, make_user, problem
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared

WEDNESDAY_9AM = TUESDAY_9AM + timedelta(days=1)


async def reschedule(
    client: Client, caller: Caller, booking_id: str, start: datetime, **body: Any
) -> Any:
    return await client.post(
        f"/api/bookings/{booking_id}/reschedule",
        json={"start": start.isoformat(), **body},
        headers=caller.headers,
    )


async def cancel(
    client: Client, caller: Caller, booking_id: str, reason: str = "Something came up."
) -> Any:
    return await client.post(
        f"/api/bookings/{booking_id}/cancel", json={"reason": reason}, headers=caller.headers
    )


async def someone_holds(client: Client, services: Services, coach_id: str, start: datetime) -> int:
    """The status another client gets holding this slot: 201 free, 409 taken."""
    other = await make_user(services, Role.CLIENT, "Otto Other")
    status: int = (await hold(client, other, hold_body(coach_id, start))).status
    return status


async def test_a_reschedule_moves_the_booking(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    moved = await reschedule(client, member, booking["id"], WEDNESDAY_9AM)
    assert moved.status == 200, await moved.text()
    body = await moved.json()
    assert (body["status"], body["starts_at"], body["ends_at"]) == (
        "confirmed",
        "2026-03-11T13:00:00Z",
        "2026-03-11T13:50:00Z",
    )
    assert await someone_holds(client, services, pro[1], WEDNESDAY_9AM) == 409
    assert await someone_holds(client, services, pro[1], TUESDAY_9AM) == 201


async def test_a_move_by_half_an_hour_overlapping_itself_is_allowed(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    later = TUESDAY_9AM + timedelta(minutes=30)
    moved = await reschedule(client, member, booking["id"], later)
    assert moved.status == 200, await moved.text()


async def test_a_taken_or_off_grid_slot_is_refused(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    assert await someone_holds(client, services, pro[1], WEDNESDAY_9AM) == 201
    taken = await problem(await reschedule(client, member, booking["id"], WEDNESDAY_9AM), 409)
    assert taken["code"] == "slot_taken"
    off_grid = WEDNESDAY_9AM + timedelta(hours=2, minutes=10)
    refused = await problem(await reschedule(client, member, booking["id"], off_grid), 422)
    assert (refused["code"], refused["errors"][0]["field"]) == ("slot_unavailable", "start")
    saturday = TUESDAY_9AM + timedelta(days=4)
    closed = await problem(await reschedule(client, member, booking["id"], saturday), 422)
    assert closed["code"] == "slot_unavailable"
    assert (
        await (await client.get(f"/api/bookings/{booking['id']}", headers=member.headers)).json()
    )["starts_at"] == "2026-03-10T13:00:00Z"


async def test_inside_24_hours_only_the_coach_moves_it_with_consent(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    clock.advance((TUESDAY_9AM - clock.now() - timedelta(hours=23)).total_seconds())
    by_client = await problem(await reschedule(client, member, booking["id"], WEDNESDAY_9AM), 409)
    assert by_client["code"] == "reschedule_needs_consent"
    asked = await problem(
        await reschedule(client, member, booking["id"], WEDNESDAY_9AM, coach_consent=True), 409
    )
    assert asked["code"] == "reschedule_needs_consent"
    unconsented = await problem(await reschedule(client, pro[0], booking["id"], WEDNESDAY_9AM), 409)
    assert "coach_consent" in unconsented["detail"]
    moved = await reschedule(client, pro[0], booking["id"], WEDNESDAY_9AM, coach_consent=True)
    assert moved.status == 200, await moved.text()
    assert (await moved.json())["starts_at"] == "2026-03-11T13:00:00Z"


async def test_25_hours_ahead_the_client_moves_it_alone(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await booked(client, member, pro[1])
    clock.advance((TUESDAY_9AM - clock.now() - timedelta(hours=25)).total_seconds())
    moved = await reschedule(client, member, booking["id"], WEDNESDAY_9AM)
    assert moved.status == 200, await moved.text()


async def test_only_a_confirmed_booking_moves(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    refused = await problem(await reschedule(client, member, booking["id"], WEDNESDAY_9AM), 409)
    assert refused["code"] == "illegal_transition"
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    hidden = await problem(await reschedule(client, stranger, booking["id"], WEDNESDAY_9AM), 404)
    assert hidden["code"] == "booking_not_found"


async def test_the_client_cancels_a_hold_and_the_slot_is_free(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    canceled = await cancel(client, member, booking["id"])
    assert canceled.status == 200, await canceled.text()
    body = await canceled.json()
    assert (body["status"], body["refund"]) == ("canceled_by_client", None)
    assert await someone_holds(client, services, pro[1], TUESDAY_9AM) == 201


async def test_the_client_cancels_a_confirmed_booking(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    canceled = await (await cancel(client, member, booking["id"])).json()
    assert (canceled["status"], canceled["actions"]) == ("canceled_by_client", [])
    # A week ahead: 24 h or more before the start, so everything paid goes back.
    assert canceled["refund"]["amount"] == {"minor": 10000, "currency": "USD"}
    assert await someone_holds(client, services, pro[1], TUESDAY_9AM) == 201


async def test_a_canceled_session_leaves_upcoming_for_past(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    kept = await booked(client, member, pro[1])
    dropped = await booked(client, member, pro[1], TUESDAY_9AM + timedelta(days=1))
    await cancel(client, member, dropped["id"])

    async def listed(when: str) -> list[str]:
        params = {"when": when}
        body = await (
            await client.get("/api/bookings", params=params, headers=member.headers)
        ).json()
        return [b["id"] for b in body["items"]]

    assert await listed("upcoming") == [kept["id"]]
    assert await listed("past") == [dropped["id"]]  # over, though its time is still ahead


async def test_the_coach_cancels_a_confirmed_booking_but_not_a_hold(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    confirmed = await booked(client, member, pro[1])
    canceled = await cancel(client, pro[0], confirmed["id"])
    assert (await canceled.json())["status"] == "canceled_by_coach"
    hold_ = await held(client, member, pro[1], WEDNESDAY_9AM)
    refused = await problem(await cancel(client, pro[0], hold_["id"]), 409)
    assert refused["code"] == "illegal_transition"
    assert await status_of(client, member, hold_["id"]) == "held"


async def test_canceling_twice_is_refused(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await cancel(client, member, booking["id"])).status == 200
    again = await problem(await cancel(client, member, booking["id"]), 409)
    assert again["code"] == "illegal_transition"
    assert "canceled_by_client" in again["detail"]


async def test_a_retried_cancel_returns_the_first_answer(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    headers = {**member.headers, "Idempotency-Key": "cancel-1"}
    path = f"/api/bookings/{booking['id']}/cancel"
    first = await client.post(path, json={"reason": "Ill."}, headers=headers)
    retry = await client.post(path, json={"reason": "Ill."}, headers=headers)
    assert (first.status, retry.status) == (200, 200)
    assert (await first.json()) == (await retry.json())
    assert retry.headers["Idempotent-Replayed"] == "true"


async def test_the_reason_is_encrypted_at_rest(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    await cancel(client, member, booking["id"], "My partner moved out last night.")
    async with services.db.session() as session:
        row = await session.get(Booking, uuid.UUID(booking["id"]))
    assert row is not None
    assert row.cancel_note is not None
    assert b"partner moved out" not in row.cancel_note
    note = await services.sealer.open(f"booking:{row.id}", "cancel-note", row.cancel_note)
    assert note == b"My partner moved out last night."
    [entry] = await services.audit.page(booking_id=row.id)
    assert (entry.action, entry.actor_id, entry.item_id) == (
        "cancel-note.write",
        member.user_id,
        "cancel-note",
    )


async def test_a_stranger_cancelling_stores_nothing(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    refused = await client.post(
        f"/api/bookings/{booking['id']}/cancel", json={"reason": "x"}, headers=stranger.headers
    )
    assert (await problem(refused, 404))["code"] == "booking_not_found"
    async with services.db.session() as session:
        assert await session.get(DataKey, f"booking:{booking['id']}") is None
    assert await services.audit.page() == []


async def test_a_reason_is_required(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    for reason in ("", "x" * 501):
        refused = await problem(await cancel(client, member, booking["id"], reason), 422)
        assert refused["errors"][0]["field"] == "reason"
    assert await status_of(client, member, booking["id"]) == "confirmed"
