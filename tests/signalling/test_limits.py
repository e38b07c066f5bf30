"""Limits on every namespace: events per socket, sockets per address and per user, and the
cached "is this coach listed" check of `watch`."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from pathlib import Path

import pytest
from sqlalchemy import update

from booking.storage.coaches import Coach
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from signalling.availability import LISTED_TTL
from tests.booking.support import Caller, Client, listed_coach, make_user
from tests.signalling.conftest import Connect, Joiner
from tests.signalling.peers import Peer
from tests.signalling.test_availability import WEEKDAYS, refusal
from tests.signalling.test_session import refusal as session_refusal
from tests.signalling.viewers import Viewer
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

EVENT_RATE = 3


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(
        tmp_path,
        socket_event_rate=EVENT_RATE,
        sockets_per_address=3,
        sockets_per_user=2,
        # The test clients connect from 127.0.0.1: here, that is the load balancer.
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )


def token(caller: Caller) -> str:
    return caller.headers["Authorization"].removeprefix("Bearer ")


async def until_released(services: Services, count: int) -> None:
    """Wait for the server to have handled the disconnects (they arrive asynchronously)."""
    async with asyncio.timeout(10):
        while len(services.socket_limits.sockets) > count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def refused_viewer(url: str, address: str, auth: object = None) -> str:
    return await refusal(url, auth, {"X-Forwarded-For": address})


async def test_availability_events_take_from_a_token_bucket(
    viewers: Connect, clock: FakeClock, client: Client, services: Services
) -> None:
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    viewer = await viewers()
    burst = 2 * EVENT_RATE  # the bucket starts full
    acks = [await viewer.call("unwatch", {"coach_id": coach_id}) for _ in range(burst)]
    assert all(a == {"ok": True} for a in acks)
    for event in ("watch", "unwatch", "dance"):  # every event counts, unknown ones too
        over = await viewer.call(event, {"coach_id": coach_id})
        assert over["ok"] is False
        assert over["error"]["code"] == "rate_limited", (event, over)
    other = await viewers()  # a bucket per socket
    await other.watch(coach_id)
    clock.advance(1)
    await viewer.watch(coach_id)


async def test_session_events_take_from_a_token_bucket(
    clock: FakeClock, peers: Joiner, services: Services
) -> None:
    member = await peers(await make_user(services, Role.CLIENT, "Cleo Client"))
    codes = [(await member.call("leave", {}))["error"]["code"] for _ in range(2 * EVENT_RATE + 1)]
    assert codes == ["not_joined"] * 2 * EVENT_RATE + ["rate_limited"]
    told = [(await member.next("error"))["code"] for _ in range(2 * EVENT_RATE + 1)]
    assert told[-1] == "rate_limited"
    clock.advance(1)
    assert (await member.call("leave", {}))["error"]["code"] == "not_joined"


async def test_sockets_per_address_are_capped(app_url: str, services: Services) -> None:
    viewers = [Viewer() for _ in range(3)]
    try:
        for viewer in viewers:
            await viewer.connect(app_url, headers={"X-Forwarded-For": "203.0.113.9"})
        assert await refused_viewer(app_url, "203.0.113.9") == "too_many_sockets"
        # A spoofed entry to the left of the balancer's changes nothing.
        assert await refused_viewer(app_url, "192.0.2.1, 203.0.113.9") == "too_many_sockets"
        # Others behind the same balancer are not affected.
        elsewhere = Viewer()
        await elsewhere.connect(app_url, headers={"X-Forwarded-For": "198.51.100.7"})
        await elsewhere.close()
        await viewers.pop().close()
        await until_released(services, 2)
        again = Viewer()
        viewers.append(again)
        await again.connect(app_url, headers={"X-Forwarded-For": "203.0.113.9"})
    finally:
        for viewer in viewers:
            await viewer.close()


async def test_sockets_per_user_are_capped_on_every_namespace(
    app_url: str, services: Services
) -> None:
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    auth = {"token": token(member)}
    first, second = Peer(), Viewer()
    try:
        await first.connect(app_url, auth)  # /session
        await second.connect(app_url, auth, headers={"X-Forwarded-For": "198.51.100.7"})
        assert await refused_viewer(app_url, "198.51.100.8", auth) == "too_many_sockets"
        assert await session_refusal(app_url, auth) == "too_many_sockets"
        # Anonymous viewers from another address are not that user's.
        anonymous = Viewer()
        await anonymous.connect(app_url, headers={"X-Forwarded-For": "198.51.100.9"})
        await anonymous.close()
    finally:
        await first.close()
        await second.close()


async def test_watch_remembers_for_a_while_whether_a_coach_is_listed(
    client: Client, services: Services, viewers: Connect, clock: FakeClock
) -> None:
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    first = await viewers()
    await first.watch(coach_id)
    async with services.db.session() as session:  # the coach is unlisted behind our back
        await session.execute(
            update(Coach)
            .where(Coach.id == uuid.UUID(coach_id))
            .values(verification_status="suspended")
        )
    second = await viewers()
    await second.watch(coach_id)  # answered from what this process remembers
    clock.advance(LISTED_TTL)
    third = await viewers()
    refused = await third.call("watch", {"coach_id": coach_id})
    assert refused["error"]["code"] == "coach_not_found"
