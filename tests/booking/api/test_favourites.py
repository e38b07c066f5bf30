"""A client's saved coaches: idempotent, listed coaches only, in the directory's card shape."""

from __future__ import annotations

import uuid
from datetime import timedelta

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    apply,
    approve,
    get_json,
    listed_coach,
    make_user,
    problem,
)
from tests.support.clock import FakeClock


async def test_clients_save_and_forget_coaches(
    client: Client, services: Services, admin: Caller, member: Caller, clock: FakeClock
) -> None:
    _, first = await listed_coach(client, services, admin, display_name="Ana")
    _, second = await listed_coach(client, services, admin, display_name="Ben")
    for coach_id in (first, second, first):
        clock.advance(1)
        response = await client.put(f"/api/me/favourites/{coach_id}", headers=member.headers)
        assert response.status == 204
    saved = await get_json(client, "/api/me/favourites", member)
    assert [c["display_name"] for c in saved["items"]] == ["Ben", "Ana"]
    directory_card = (await get_json(client, "/api/coaches", limit=50))["items"]
    assert saved["items"][1] in directory_card

    assert (
        await client.delete(f"/api/me/favourites/{second}", headers=member.headers)
    ).status == 204
    assert (
        await client.delete(f"/api/me/favourites/{second}", headers=member.headers)
    ).status == 204
    saved = await get_json(client, "/api/me/favourites", member)
    assert [c["id"] for c in saved["items"]] == [first]


async def test_only_listed_coaches_can_be_saved_or_are_shown(
    client: Client,
    services: Services,
    admin: Caller,
    member: Caller,
    coach: Caller,
    clock: FakeClock,
) -> None:
    pending = await apply(client, coach)
    unlisted = await client.put(f"/api/me/favourites/{pending['coach_id']}", headers=member.headers)
    assert (await problem(unlisted, 404))["code"] == "coach_not_found"
    nobody = await client.put(f"/api/me/favourites/{uuid.uuid4()}", headers=member.headers)
    assert nobody.status == 404

    lapsing = await apply(client, await make_user(services, Role.COACH))
    await approve(client, admin, lapsing["id"], reverify_in_days=30)
    await client.put(f"/api/me/favourites/{lapsing['coach_id']}", headers=member.headers)
    assert len((await get_json(client, "/api/me/favourites", member))["items"]) == 1
    clock.advance(timedelta(days=31).total_seconds())  # verification lapses
    assert (await get_json(client, "/api/me/favourites", member))["items"] == []


async def test_favourites_are_for_clients(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    refused = await client.put(f"/api/me/favourites/{coach_id}", headers=coach.headers)
    assert (await problem(refused, 403))["code"] == "forbidden"
    assert (await client.get("/api/me/favourites")).status == 401
