"""The socket.io server's plumbing under load and at shutdown: Redis clients that wait for a
connection in a burst instead of failing, WebSockets without compression, plain-text packets,
and a node that stops promptly on SIGTERM whatever its clients do."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import redis.asyncio
from aiohttp.test_utils import TestClient

from realtime.live import REDIS_CONNECTIONS
from realtime.settings import Settings
from signalling.presence import Member, RedisPresence
from signalling.protocol import SESSION
from signalling.server import create_server, running
from tests.realtime.test_cli import serving
from tests.support.stacks import Stack, base_settings

BURST = 4 * REDIS_CONNECTIONS  # more callers at once than any pool holds (redis-py's is 100)


@pytest.fixture
def redis_settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(tmp_path)


async def test_presence_answers_a_burst_larger_than_its_pool(redis_settings: Settings) -> None:
    presence = RedisPresence(redis_settings.redis_url, redis_settings.redis_prefix)
    try:
        member = Member("u1", "p1", "coach", "Cora Coach", "sid1", "node1")
        await presence.swap("room1", member, 60)
        found = await asyncio.gather(*(presence.members("room1") for _ in range(BURST)))
        assert all(places == {"u1": member} for places in found)
        pool = presence.redis.connection_pool
        assert len(pool._in_use_connections) + len(pool._available_connections) <= (
            REDIS_CONNECTIONS
        )
    finally:
        await presence.close()


async def test_the_socketio_manager_publishes_a_burst_larger_than_its_pool(
    redis_settings: Settings,
) -> None:
    sio = create_server(redis_settings)
    listener = redis.asyncio.Redis.from_url(redis_settings.redis_url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(f"{redis_settings.redis_prefix}socketio")
    try:
        async with running(sio):
            # Nobody is in the room: each emit is only published, for other nodes.
            await asyncio.gather(
                *(
                    sio.emit("signal", {"n": n}, room="peer:x", namespace=SESSION)
                    for n in range(BURST)
                )
            )
            seen: set[int] = set()
            async with asyncio.timeout(10):  # a dropped publish never comes
                while len(seen) < BURST:
                    # None for the subscription notice, or when nothing came within the second.
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                    if message is not None:
                        seen.add(orjson.loads(message["data"])["data"][0]["n"])
    finally:
        await pubsub.aclose()
        await listener.aclose()


async def test_websockets_refuse_compression(client: TestClient[Any, Any]) -> None:
    """Like a browser, the client offers permessage-deflate; the server declines it."""
    url = client.make_url("/socket.io/").with_query(EIO="4", transport="websocket")
    async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
        assert ws.compress == 0
        opened = await ws.receive_str(timeout=5)
        assert opened.startswith("0{")  # engine.io's open packet: the socket works


def test_packets_are_never_scanned_for_binary() -> None:
    sio = create_server(base_settings())
    sdp = {"type": "offer", "sdp": "v=0\r\n" * 500}
    packet = sio.packet_class(
        data=["signal", {"from": "p1", "description": sdp}], namespace=SESSION
    )
    assert packet.encode().startswith('2/session,["signal",')


@pytest.mark.timeout(90)
def test_a_node_with_a_silent_client_stops_promptly_on_sigterm(tmp_path: Path) -> None:
    """A long-polling client that opened its engine.io session and never polls again: closing
    its socket waits for a poll that never comes; the node stops all the same."""
    with serving(tmp_path) as server:
        url = f"http://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=polling"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.read().startswith(b"0{")
        asked = time.perf_counter()
        assert server.stop() == 0
        assert time.perf_counter() - asked < 15
