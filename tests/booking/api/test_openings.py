"""The directory card's next free slot: the first slot the slots route gives, worked out again
after a hold takes it, a cancel frees it, or time passes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from realtime.wiring import Services
from tests.booking.api.test_changes import cancel
from tests.booking.api.test_payment import held, pro
from tests.booking.support import Caller, Client, get_json, get_query
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared


async def card(client: Client, coach_id: str) -> Any:
    (found,) = [
        c
        for c in (await get_json(client, "/api/coaches", limit=50))["items"]
        if c["id"] == coach_id
    ]
    return found


async def first_slot(client: Client, coach_id: str, clock: FakeClock) -> str:
    """The slots route's first free slot in the next two weeks (the shortest length offered)."""
    today = clock.now().date()
    query = {
        "from": str(today),
        "to": str(today + timedelta(days=14)),
        "tz": "UTC",
        "session_type": "video",
        "duration": 50,
    }
    answer = await get_query(client, f"/api/coaches/{coach_id}/slots", query)
    return str(answer["slots"][0]["start"])


async def test_the_card_shows_the_first_free_slot_and_follows_changes(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    coach_id = pro[1]
    assert (await card(client, coach_id))["next_available"] is None  # not worked out yet
    assert await services.openings.run() >= 1
    first = await first_slot(client, coach_id, clock)
    assert (await card(client, coach_id))["next_available"] == first
    profile = await get_json(client, f"/api/coaches/{coach_id}")
    assert profile["next_available"] == first

    booking = await held(client, member, coach_id, datetime.fromisoformat(first))
    assert await services.openings.run() == 1  # only the coach whose slots changed
    after_hold = (await card(client, coach_id))["next_available"]
    assert after_hold == await first_slot(client, coach_id, clock)
    assert after_hold > first

    await cancel(client, member, booking["id"])
    await services.openings.run()
    assert (await card(client, coach_id))["next_available"] == first
    assert await services.openings.run() == 0  # nothing due

    clock.advance(7 * 86400)  # time passes the slot: worked out again
    assert await services.openings.run() == 1
    assert (await card(client, coach_id))["next_available"] == await first_slot(
        client, coach_id, clock
    )
