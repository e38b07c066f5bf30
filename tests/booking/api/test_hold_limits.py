"""Nobody can hold a coach's whole calendar: caps on live holds, a cooldown, rate limits."""

from __future__ import annotations

import asyncio
import ipaddress
from datetime import timedelta
from pathlib import Path

import pytest

from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM, WEEKDAYS, hold, hold_body
from tests.booking.api.test_payment import booked
from tests.booking.support import Caller, Client, listed_coach, make_user, problem
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

HOUR = timedelta(hours=1)


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    """The default caps (2 in all, 1 per coach) and cooldown (3 lapses in 60 minutes); a rate
    limit per account and one per address that the tests can reach (the test client connects
    from 127.0.0.1, here the load balancer)."""
    return stack.settings_for(
        tmp_path,
        hold_attempts_per_account=8,
        hold_attempts_per_address=12,
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )


async def coaches(client: Client, services: Services, admin: Caller, count: int) -> list[str]:
    made = []
    for n in range(count):
        _, coach_id = await listed_coach(
            client, services, admin, weekly_hours=WEEKDAYS, display_name=f"Dr Coach {n}"
        )
        made.append(coach_id)
    return made


async def test_one_live_hold_per_coach(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    [coach_id] = await coaches(client, services, admin, 1)
    assert (await hold(client, member, hold_body(coach_id, TUESDAY_9AM))).status == 201
    refused = await problem(
        await hold(client, member, hold_body(coach_id, TUESDAY_9AM + HOUR)), 409
    )
    assert refused["code"] == "hold_limit_per_coach"
    assert "HOLD_LIMIT_PER_COACH" in refused["detail"]
    # Someone else may still hold the coach's other slots.
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, other, hold_body(coach_id, TUESDAY_9AM + HOUR))).status == 201


async def test_two_live_holds_in_all_and_a_lapsed_one_frees_its_place(
    client: Client, services: Services, admin: Caller, member: Caller, clock: FakeClock
) -> None:
    first, second, third = await coaches(client, services, admin, 3)
    assert (await hold(client, member, hold_body(first, TUESDAY_9AM))).status == 201
    assert (await hold(client, member, hold_body(second, TUESDAY_9AM))).status == 201
    refused = await problem(await hold(client, member, hold_body(third, TUESDAY_9AM)), 409)
    assert refused["code"] == "hold_limit"
    assert "HOLD_LIMIT" in refused["detail"]
    clock.advance(11 * 60)  # both holds lapse (HOLD_MINUTES is 10)
    assert (await hold(client, member, hold_body(third, TUESDAY_9AM))).status == 201


async def test_concurrent_holds_of_one_client_never_pass_the_cap(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    """Each hold locks a different coach's calendar, so only the client's own lock, taken in
    the same transaction as the count, keeps them from all counting zero live holds."""
    ids = await coaches(client, services, admin, 5)
    responses = await asyncio.gather(
        *(hold(client, member, hold_body(coach_id, TUESDAY_9AM)) for coach_id in ids)
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 201, 409, 409, 409]
    for response in responses:
        if response.status == 409:
            assert (await response.json())["code"] == "hold_limit"


async def test_a_client_whose_holds_keep_lapsing_cools_down(
    client: Client, services: Services, admin: Caller, member: Caller, clock: FakeClock
) -> None:
    [coach_id] = await coaches(client, services, admin, 1)
    for n in range(3):  # HOLD_LAPSES
        start = TUESDAY_9AM + n * HOUR
        assert (await hold(client, member, hold_body(coach_id, start))).status == 201
        clock.advance(11 * 60)
    response = await hold(client, member, hold_body(coach_id, TUESDAY_9AM + 3 * HOUR))
    refused = await problem(response, 429)
    assert refused["code"] == "hold_cooldown"
    # The first lapsed 23 minutes ago (held 33 minutes ago, for 10): 37 minutes to go.
    assert int(response.headers["Retry-After"]) == 37 * 60
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, other, hold_body(coach_id, TUESDAY_9AM + 3 * HOUR))).status == 201
    clock.advance(37 * 60)
    assert (await hold(client, member, hold_body(coach_id, TUESDAY_9AM + 4 * HOUR))).status == 201


async def test_a_paid_booking_is_no_longer_a_hold(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    [coach_id] = await coaches(client, services, admin, 1)
    await booked(client, member, coach_id, TUESDAY_9AM)
    assert (await hold(client, member, hold_body(coach_id, TUESDAY_9AM + HOUR))).status == 201


async def test_hold_requests_are_rate_limited_per_account(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    [coach_id] = await coaches(client, services, admin, 1)
    statuses = [
        (await hold(client, member, hold_body(coach_id, TUESDAY_9AM + n * HOUR))).status
        for n in range(8)
    ]
    assert statuses[0] == 201
    assert set(statuses[1:8]) == {409}  # refused by the cap, and counted all the same
    response = await hold(client, member, hold_body(coach_id, TUESDAY_9AM + 7 * HOUR))
    refused = await problem(response, 429)
    assert refused["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, other, hold_body(coach_id, TUESDAY_9AM + 7 * HOUR))).status == 201


async def test_hold_requests_are_rate_limited_per_address(
    client: Client, services: Services, admin: Caller
) -> None:
    [coach_id] = await coaches(client, services, admin, 1)
    clients = [await make_user(services, Role.CLIENT, f"Client {n}") for n in range(4)]

    async def hold_from(caller: Caller, n: int, address: str) -> int:
        body = hold_body(coach_id, TUESDAY_9AM + n * HOUR)
        headers = {**caller.headers, "X-Forwarded-For": address}
        return (await client.post("/api/bookings", json=body, headers=headers)).status

    for caller in clients[:3]:
        for n in range(4):
            assert await hold_from(caller, n, "203.0.113.9") in (201, 409)
    assert await hold_from(clients[3], 5, "203.0.113.9") == 429
    assert await hold_from(clients[3], 5, "198.51.100.7") == 201
