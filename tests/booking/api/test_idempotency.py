"""`Idempotency-Key`: a retried hold returns the first answer and holds nothing twice."""

from __future__ import annotations

import asyncio

import pytest

from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM, WEEKDAYS, count_bookings, hold_body
from tests.booking.support import Caller, Client, listed_coach, problem
from tests.support.clock import FakeClock


@pytest.fixture
async def coach_id(client: Client, services: Services, admin: Caller) -> str:
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    return coach_id


async def test_a_retry_gets_the_first_answer(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    body = hold_body(coach_id, TUESDAY_9AM)
    first = await client.post(
        "/api/bookings", json=body, headers={**member.headers, "Idempotency-Key": "k-1"}
    )
    retry = await client.post(
        "/api/bookings", json=body, headers={**member.headers, "Idempotency-Key": "k-1"}
    )
    assert (first.status, retry.status) == (201, 201)
    assert (await first.json()) == (await retry.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await count_bookings(services) == 1


async def test_a_retry_after_the_hold_expired_holds_nothing_new(
    client: Client, services: Services, member: Caller, coach_id: str, clock: FakeClock
) -> None:
    # The slot is free again when the retry comes, so its hold is written, then undone with
    # its transaction when its answer collides with the first one's.
    body = hold_body(coach_id, TUESDAY_9AM)
    headers = {**member.headers, "Idempotency-Key": "k-late"}
    first = await client.post("/api/bookings", json=body, headers=headers)
    clock.advance(10 * 60 + 1)
    retry = await client.post("/api/bookings", json=body, headers=headers)
    assert (first.status, retry.status) == (201, 201)
    assert (await retry.json())["id"] == (await first.json())["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert await count_bookings(services) == 1


async def test_concurrent_retries_hold_once(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    body = hold_body(coach_id, TUESDAY_9AM)
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/bookings", json=body, headers={**member.headers, "Idempotency-Key": "k-2"}
            )
            for _ in range(5)
        )
    )
    # The hold records its answer in its own transaction: a concurrent retry waits for the
    # first one and replays it, rather than being told to come back.
    assert [r.status for r in responses] == [201] * 5
    bodies = [await r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 4
    assert await count_bookings(services) == 1


async def test_a_refusal_is_replayed_too(client: Client, member: Caller, coach_id: str) -> None:
    body = hold_body(coach_id, TUESDAY_9AM, duration=60)
    headers = {**member.headers, "Idempotency-Key": "k-3"}
    first = await problem(await client.post("/api/bookings", json=body, headers=headers), 422)
    again = await problem(await client.post("/api/bookings", json=body, headers=headers), 422)
    assert first["code"] == again["code"] == "duration_not_offered"


async def test_a_key_reused_for_another_request_is_refused(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    headers = {**member.headers, "Idempotency-Key": "k-4"}
    first = await client.post(
        "/api/bookings", json=hold_body(coach_id, TUESDAY_9AM), headers=headers
    )
    assert first.status == 201
    other = hold_body(coach_id, TUESDAY_9AM.replace(hour=15))
    refused = await problem(await client.post("/api/bookings", json=other, headers=headers), 422)
    assert refused["code"] == "idempotency_key_reused"
    assert await count_bookings(services) == 1


async def test_keys_belong_to_one_user(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    from realtime.auth.models import Role
    from tests.booking.support import make_user

    other = await make_user(services, Role.CLIENT, "Otto Other")
    body = hold_body(coach_id, TUESDAY_9AM)
    mine = await client.post(
        "/api/bookings", json=body, headers={**member.headers, "Idempotency-Key": "same"}
    )
    theirs = await client.post(
        "/api/bookings", json=body, headers={**other.headers, "Idempotency-Key": "same"}
    )
    assert (mine.status, theirs.status) == (201, 409)
