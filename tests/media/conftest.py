"""Media tests run on the production stack only: they are real-time and slow to run twice,
and what they check (WebRTC through our signalling) does not depend on the stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from realtime.settings import Settings
from tests.media.endpoints import Endpoint
from tests.signalling.conftest import app_url, peers  # noqa: F401  (fixtures)
from tests.signalling.peers import Peer
from tests.support.coturn import Turn, running_coturn
from tests.support.stacks import Stack

MakeEndpoint = Callable[..., Endpoint]


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(tmp_path)


@pytest.fixture
async def endpoints() -> AsyncIterator[MakeEndpoint]:
    """`endpoints(peer, ice_servers, relay=False)`: an aiortc endpoint, closed after the test."""
    made: list[Endpoint] = []

    def make(
        peer: Peer,
        ice_servers: list[dict[str, Any]],
        *,
        relay: bool = False,
        frequency: float = 400,
    ) -> Endpoint:
        endpoint = Endpoint(peer, ice_servers, relay=relay, frequency=frequency)
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        await endpoint.close()


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Turn]:
    """A real coturn on loopback with a shared secret (the TURN REST scheme), stopped after."""
    with running_coturn(tmp_path, "coturn-test-secret") as turn:
        yield turn
