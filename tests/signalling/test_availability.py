"""`/availability`: viewers of a coach's calendar are told when its slots are held or released."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
import socketio

from realtime.auth.models import Role
from realtime.wiring import Services
from signalling.availability import WATCH_TTL
from signalling.protocol import MAX_WATCHES
from tests.booking.support import Caller, Client, apply, listed_coach, make_user
from tests.signalling.conftest import Connect
from tests.signalling.viewers import Viewer
from tests.support.clock import FakeClock

# The fake clock starts Monday 2026-03-02 09:00 UTC; the coach works weekdays 09:00-17:00 in
# New York, so Tuesday 2026-03-10 09:00 local is 13:00 UTC (EDT).
TUESDAY_9AM = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture
async def admin(services: Services) -> Caller:
    return await make_user(services, Role.ADMIN, "Ada Admin")


@pytest.fixture
async def member(services: Services) -> Caller:
    return await make_user(services, Role.CLIENT, "Cleo Client")


@pytest.fixture
async def coach(services: Services) -> Caller:
    return await make_user(services, Role.COACH, "Dr Ann Lee")


async def new_coach(client: Client, services: Services, admin: Caller) -> str:
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    return coach_id


async def hold(client: Client, caller: Caller, coach_id: str, start: datetime) -> dict[str, Any]:
    body = {"coach_id": coach_id, "start": start.isoformat(), "session_type": "video"}
    response = await client.post(
        "/api/bookings", json={**body, "duration": 50}, headers=caller.headers
    )
    assert response.status == 201, await response.text()
    booking: dict[str, Any] = await response.json()
    return booking


def change(coach_id: str, reason: str, start: datetime = TUESDAY_9AM) -> dict[str, str]:
    end = start + timedelta(minutes=50)
    return {
        "coach_id": coach_id,
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z"),
        "reason": reason,
    }


async def test_a_viewer_is_told_when_a_slot_is_held_and_when_the_hold_expires(
    client: Client,
    services: Services,
    admin: Caller,
    member: Caller,
    viewers: Connect,
    clock: FakeClock,
) -> None:
    coach_id = await new_coach(client, services, admin)
    viewer = await viewers()
    await viewer.watch(coach_id)

    await hold(client, member, coach_id, TUESDAY_9AM)
    assert await viewer.next_change() == change(coach_id, "held")

    clock.advance(10 * 60 + 1)
    await services.scheduling.bookings.expire_holds()
    assert await viewer.next_change() == change(coach_id, "released")


async def test_a_viewer_is_told_only_about_the_coaches_it_watches(
    client: Client, services: Services, admin: Caller, member: Caller, viewers: Connect
) -> None:
    first, second = (
        await new_coach(client, services, admin),
        await new_coach(client, services, admin),
    )
    of_first, of_second = await viewers(), await viewers()
    await of_first.watch(first)
    await of_second.watch(first)
    await of_second.watch(second)
    assert await of_second.call("unwatch", {"coach_id": first}) == {"ok": True}

    await hold(client, member, first, TUESDAY_9AM)
    await hold(client, member, second, TUESDAY_9AM)
    # Events reach a socket in the order they were sent: had the second viewer been told about
    # the first coach, that event would come before this one.
    assert await of_second.next_change() == change(second, "held")
    assert await of_first.next_change() == change(first, "held")


async def test_a_signed_in_viewer_may_watch_until_the_token_expires(
    client: Client,
    services: Services,
    admin: Caller,
    member: Caller,
    viewers: Connect,
    app_url: str,
    clock: FakeClock,
) -> None:
    coach_id = await new_coach(client, services, admin)
    token = member.headers["Authorization"].removeprefix("Bearer ")
    signed_in = await viewers({"token": token})
    await signed_in.watch(coach_id)

    clock.advance(services.settings.access_token_ttl + 1)
    assert await refusal(app_url, {"token": token}) == "token_expired"


async def refusal(url: str, auth: object, headers: dict[str, str] | None = None) -> str:
    """The code a connection with this `auth` (and request headers) is refused with."""
    viewer = Viewer()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await viewer.connect(url, auth, headers)
    finally:
        await viewer.close()
    (refused,) = viewer.refusals
    assert refused["message"] == refused["data"]["message"]
    code: str = refused["data"]["code"]
    return code


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        ({"token": "not-a-token"}, "token_invalid"),
        ({"token": 42}, "bad_payload"),
        ({"password": "hunter2"}, "bad_payload"),
        ("a string", "bad_payload"),
    ],
)
async def test_a_bad_auth_is_refused_saying_why(app_url: str, auth: object, code: str) -> None:
    assert await refusal(app_url, auth) == code


async def test_bad_events_are_answered_and_the_socket_keeps_working(
    client: Client,
    services: Services,
    admin: Caller,
    member: Caller,
    coach: Caller,
    viewers: Connect,
) -> None:
    coach_id = await new_coach(client, services, admin)
    unlisted = str((await apply(client, coach, weekly_hours=WEEKDAYS))["coach_id"])
    viewer = await viewers()
    for event, payload, code, words in [
        ("watch", None, "bad_payload", "coach_id: Field required"),
        ("watch", {}, "bad_payload", "coach_id: Field required"),
        ("watch", {"coach_id": "nope"}, "bad_payload", "coach_id: Input should be a valid UUID"),
        ("watch", {"coach_id": coach_id, "as": "admin"}, "bad_payload", "as: unknown field"),
        ("watch", "a string", "bad_payload", "valid dictionary"),
        ("watch", [coach_id], "bad_payload", "valid dictionary"),
        ("watch", {"coach_id": str(uuid.uuid4())}, "coach_not_found", "No listed coach"),
        ("watch", {"coach_id": unlisted}, "coach_not_found", "No listed coach"),
        ("unwatch", {"coach_id": 7}, "bad_payload", "coach_id"),
        ("dance", {"coach_id": coach_id}, "unknown_event", "no event 'dance'"),
    ]:
        ack = await viewer.call(event, payload)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
        assert words in ack["error"]["message"], (event, payload, ack)

    await viewer.watch(coach_id)
    await hold(client, member, coach_id, TUESDAY_9AM)
    assert await viewer.next_change() == change(coach_id, "held")


async def test_a_socket_watches_at_most_twenty_coaches(
    client: Client, services: Services, admin: Caller, viewers: Connect, clock: FakeClock
) -> None:
    coaches = [await new_coach(client, services, admin) for _ in range(MAX_WATCHES + 1)]
    viewer = await viewers()
    for coach_id in coaches[:MAX_WATCHES]:
        await viewer.watch(coach_id)
    clock.advance(1)  # the socket's event bucket (SOCKET_EVENT_RATE) fills up again
    await viewer.watch(coaches[0])  # watching one again is no new watch

    refused = await viewer.call("watch", {"coach_id": coaches[-1]})
    assert refused["error"]["code"] == "too_many_watches"
    assert await viewer.call("unwatch", {"coach_id": coaches[0]}) == {"ok": True}
    await viewer.watch(coaches[-1])


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_changes_nobody_watches_are_not_published(
    client: Client, services: Services, admin: Caller, member: Caller, viewers: Connect
) -> None:
    # Every process decodes every publish: a change nobody watches is not sent at all.
    settings = services.settings
    watched, unwatched = (
        await new_coach(client, services, admin),
        await new_coach(client, services, admin),
    )
    viewer = await viewers()
    await viewer.watch(watched)
    redis = aioredis.from_url(settings.redis_url)
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(f"{settings.redis_prefix}socketio")
        await hold(client, member, unwatched, TUESDAY_9AM)
        await hold(client, member, watched, TUESDAY_9AM)
        assert await viewer.next_change() == change(watched, "held")
        rooms = []
        # Redis delivers in order: the second hold's publish is the last that can come.
        for _ in range(20):
            message = await pubsub.get_message(timeout=0.1)
            if message is None:
                continue
            published = json.loads(message["data"])
            if published.get("namespace") == "/availability":
                rooms.append(published["room"])
        assert rooms == [f"coach:{watched}"]
    finally:
        await pubsub.aclose()
        await redis.aclose()


@pytest.mark.parametrize("stack", ["production"], indirect=True)
async def test_each_process_renews_the_marks_of_the_coaches_it_watches(
    client: Client, services: Services, admin: Caller, viewers: Connect
) -> None:
    settings = services.settings
    coach_id = await new_coach(client, services, admin)
    viewer = await viewers()
    await viewer.watch(coach_id)
    mark = f"{settings.redis_prefix}watched:{coach_id}"
    redis = aioredis.from_url(settings.redis_url)
    try:
        assert 0 < await redis.ttl(mark) <= WATCH_TTL
        await redis.delete(mark)  # as if it had lapsed
        assert services.watched is not None
        await services.watched.refresh()
        assert 0 < await redis.ttl(mark) <= WATCH_TTL
        assert await viewer.call("unwatch", {"coach_id": coach_id}) == {"ok": True}
        await redis.delete(mark)
        await services.watched.refresh()  # nobody here watches it any more
        assert not await redis.exists(mark)
    finally:
        await redis.aclose()
