"""Viewers of coaches' calendars, connected to the app under test over a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.signalling.viewers import Viewer

Connect = Callable[..., Awaitable[Viewer]]


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
