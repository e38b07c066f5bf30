"""Two aiortc peers with ICE transport policy `relay`, using the TURN credentials `join` gives
them, talk through a real coturn; expired credentials get no relay and no call."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from realtime.auth.models import Role
from realtime.clock import SystemClock
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Client, listed_coach, make_user
from tests.media.conftest import MakeEndpoint
from tests.media.test_call import talk
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.support.clock import FakeClock
from tests.support.coturn import Turn
from tests.support.nodes import starting_now


@pytest.fixture
def settings(settings: Settings, coturn: Turn) -> Settings:
    return replace(settings, turn_urls=(coturn.url,), turn_secret=coturn.secret, turn_ttl=3600)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """coturn judges credentials by the real time: the app's clock starts `param` seconds
    before it (0 unless parametrised)."""
    behind = getattr(request, "param", 0)
    return FakeClock(SystemClock().now() - timedelta(seconds=behind))


async def in_session(
    client: Client, services: Services, peers: Joiner
) -> tuple[Peer, dict[str, Any], Peer, dict[str, Any]]:
    """A coach and a client in the room of a session that has just begun."""
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    coach, coach_id = await listed_coach(client, services, admin)
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    booking_id = await starting_now(services, coach_id, member.user_id)
    on_coach, on_member = await peers(coach), await peers(member)
    coach_ack = await on_coach.join(booking_id)
    member_ack = await on_member.join(booking_id)
    return on_coach, coach_ack, on_member, member_ack


@pytest.mark.timeout(90)
async def test_peers_talk_only_through_the_turn_relay(
    client: Client, services: Services, peers: Joiner, endpoints: MakeEndpoint
) -> None:
    on_coach, coach_ack, on_member, member_ack = await in_session(client, services, peers)
    assert [s["urls"] for s in coach_ack["ice_servers"]] == [list(services.settings.turn_urls)]
    offerer = endpoints(on_coach, coach_ack["ice_servers"], relay=True)
    answerer = endpoints(on_member, member_ack["ice_servers"], relay=True)
    await talk(offerer, answerer, on_member.peer_id)
    for candidate in offerer.remote_candidates + answerer.remote_candidates:
        assert " typ relay " in candidate, candidate


@pytest.mark.parametrize("clock", [2 * 3600], indirect=True)
@pytest.mark.timeout(90)
async def test_expired_credentials_get_no_relay(
    client: Client, services: Services, peers: Joiner, endpoints: MakeEndpoint
) -> None:
    on_coach, coach_ack, on_member, member_ack = await in_session(client, services, peers)
    expiry = int(coach_ack["ice_servers"][0]["username"].split(":")[0])
    assert expiry < SystemClock().now().timestamp()
    offerer = endpoints(on_coach, coach_ack["ice_servers"], relay=True)
    answerer = endpoints(on_member, member_ack["ice_servers"], relay=True)
    offerer.follow()
    answerer.follow()
    await offerer.offer(on_member.peer_id)
    await asyncio.sleep(2)
    assert offerer.pc.connectionState != "connected"
    assert answerer.remote_candidates == offerer.remote_candidates == []
