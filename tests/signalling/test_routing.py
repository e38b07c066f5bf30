"""With the Redis manager, a signal between two peers on one process never goes through Redis;
room events (peer-joined) do, as they may have listeners on other processes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import redis.asyncio

from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import book, open_window
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

CANDIDATE = {"candidate": "candidate:1 1 UDP 1 192.0.2.7 5 typ host", "sdpMid": "0"}


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(tmp_path)


async def test_a_signal_between_local_peers_is_not_published(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    listener = redis.asyncio.Redis.from_url(services.settings.redis_url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(f"{services.settings.redis_prefix}socketio")
    try:
        member, coach = await peers(booked.member), await peers(booked.coach)
        await member.join(booked.booking_id)
        await coach.join(booked.booking_id)
        await member.next("peer-joined")
        await member.send("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
        await coach.next("signal")

        events = []
        # Everything published so far (get_message answers None for the subscription notice).
        for _ in range(20):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.05)
            if message is not None:
                events.append(orjson.loads(message["data"]).get("event"))
        assert "peer-joined" in events
        assert "signal" not in events
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def test_an_earlier_joiner_knows_a_newcomer_on_its_node_without_reading_presence(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    """The room's first signal from the peer that joined first goes to a peer it has only
    heard of in `peer-joined`: its seat learnt it then, so presence is not read (here the room's
    presence is removed to show it; a read would find nobody and refuse the signal)."""
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    await member.next("peer-joined")
    settings = services.settings
    redis_client = redis.asyncio.Redis.from_url(settings.redis_url)
    try:
        assert await redis_client.delete(f"{settings.redis_prefix}session:room:{booked.booking_id}")
    finally:
        await redis_client.aclose()
    await member.send("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
    relayed = await coach.next("signal")
    assert relayed["from"] == member.peer_id
