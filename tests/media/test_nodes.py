"""Two `flourish serve` processes sharing PostgreSQL and Redis: the coach on one, the client on
the other, complete signalling and exchange media."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from realtime import wiring
from realtime.settings import Settings
from tests.media.conftest import MakeEndpoint
from tests.media.test_call import talk
from tests.signalling.peers import Peer
from tests.signalling.sessions import token
from tests.signalling.viewers import WAIT
from tests.support.nodes import listed_coach, starting_now, two_nodes, until_subscribed


@pytest.mark.timeout(90)
async def test_coach_and_client_on_two_nodes_call_each_other(
    settings: Settings, tmp_path: Path, endpoints: MakeEndpoint
) -> None:
    with two_nodes(settings, tmp_path) as (a, b):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
        ):
            cast = await listed_coach(services, through_a)
            coach, member = cast.coach, cast.member
            booking_id = await starting_now(services, cast.coach_id, member.user_id)

        on_a, on_b = Peer(), Peer()
        try:
            await on_a.connect(f"http://127.0.0.1:{a.port}/", {"token": token(coach)})
            await on_b.connect(f"http://127.0.0.1:{b.port}/", {"token": token(member)})
            await asyncio.wait_for(until_subscribed(settings, 2), WAIT)
            coach_ice = (await on_a.join(booking_id))["ice_servers"]
            joined = await on_b.join(booking_id)
            assert [p["peer_id"] for p in joined["peers"]] == [on_a.peer_id]
            assert (await on_a.next("peer-joined"))["peer_id"] == on_b.peer_id

            offerer = endpoints(on_a, coach_ice)
            answerer = endpoints(on_b, joined["ice_servers"])
            await talk(offerer, answerer, on_b.peer_id)
        finally:
            await on_a.close()
            await on_b.close()
