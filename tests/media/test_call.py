"""Two real aiortc peers call each other through `/session`: offer, answer, trickled ICE
candidates, audio both ways and data-channel messages both ways; then one drops and comes back
within the grace period and they negotiate a new peer connection (aiortc cannot restart ICE,
aiortc issue #1367; browsers can)."""

from __future__ import annotations

import pytest

from realtime.wiring import Services
from tests.booking.support import Client
from tests.media.conftest import MakeEndpoint
from tests.media.endpoints import Endpoint
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import book, open_window
from tests.signalling.test_reconnect import until_away
from tests.support.clock import FakeClock


async def talk(offerer: Endpoint, answerer: Endpoint, to: str) -> None:
    """Negotiate, then check audio and data-channel messages in both directions."""
    offerer.follow()
    answerer.follow()
    await offerer.offer(to)
    await offerer.connected()
    await answerer.connected()
    await offerer.hears()
    await answerer.hears()
    offerer.say("hello from the coach")
    answerer.say("hello from the client")
    assert await answerer.hear_message() == "hello from the coach"
    assert await offerer.hear_message() == "hello from the client"


@pytest.mark.timeout(90)
async def test_a_call_survives_a_dropped_socket_with_a_new_peer_connection(
    client: Client,
    services: Services,
    clock: FakeClock,
    peers: Joiner,
    endpoints: MakeEndpoint,
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    member_ice = (await member.join(booked.booking_id))["ice_servers"]
    coach_ice = (await coach.join(booked.booking_id))["ice_servers"]

    first_coach, first_member = endpoints(coach, coach_ice), endpoints(member, member_ice)
    await talk(first_coach, first_member, member.peer_id)
    assert first_member.remote_candidates  # trickled, not in the SDP
    assert first_coach.remote_candidates

    # The client's network goes: their socket and their peer connection with it.
    await first_member.close()
    await member.close()
    await until_away(services, booked)
    back = await peers(booked.member)
    await back.join(booked.booking_id)
    assert back.peer_id == member.peer_id
    assert (await coach.next("peer-reconnected"))["peer_id"] == back.peer_id
    await first_coach.close()

    await talk(endpoints(coach, coach_ice), endpoints(back, member_ice), back.peer_id)
