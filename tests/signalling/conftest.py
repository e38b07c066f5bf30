"""Viewers of coaches' calendars, connected to the app under test over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.booking.support import Caller
from tests.signalling.peers import Peer
from tests.signalling.viewers import Viewer

Connect = Callable[..., Awaitable[Viewer]]
Joiner = Callable[[Caller], Awaitable[Peer]]


@pytest.fixture
def app_url(client: TestClient[Any, Any]) -> str:
    """Where the app under test listens (socket.io clients take the URL of the origin)."""
    return str(client.make_url("/"))


@pytest.fixture
async def viewers(app_url: str) -> AsyncIterator[Connect]:
    """`await viewers(auth)`: a new viewer connected to the app; all closed afterwards."""
    made: list[Viewer] = []

    async def connect(auth: object = None) -> Viewer:
        viewer = Viewer()
        made.append(viewer)
        await viewer.connect(app_url, auth)
        return viewer

    yield connect
    for viewer in made:
        await viewer.close()


@pytest.fixture
async def peers(app_url: str) -> AsyncIterator[Joiner]:
    """`await peers(caller)`: a peer connected to `/session` as the caller; all closed after."""
    made: list[Peer] = []

    async def connect(caller: Caller) -> Peer:
        peer = Peer()
        made.append(peer)
        await peer.connect(app_url, {"token": caller.headers["Authorization"][len("Bearer ") :]})
        return peer

    yield connect
    for peer in made:
        await peer.close()
