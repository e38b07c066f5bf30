"""The call's microphone and camera state: one side's `media:state` reaches the other as
`peer-media` (not its own sockets' room seat back), only from a joined socket, and only a
well-formed one."""

from __future__ import annotations

from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import book, in_a_call, open_window
from tests.support.clock import FakeClock


async def test_the_other_side_is_told_when_a_microphone_or_camera_goes_off(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    _, member, coach = await in_a_call(client, services, clock, peers)
    assert await member.call("media:state", {"audio": False, "video": True}) == {"ok": True}
    assert await coach.next("peer-media") == {"role": "client", "audio": False, "video": True}
    assert await coach.call("media:state", {"audio": True, "video": False}) == {"ok": True}
    assert await member.next("peer-media") == {"role": "coach", "audio": True, "video": False}
    assert member.pending("peer-media") == []  # nobody is told their own state
    assert coach.pending("peer-media") == []


async def test_media_state_needs_a_join_and_a_well_formed_payload(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member = await peers(booked.member)
    refused = await member.call("media:state", {"audio": True, "video": True})
    assert refused["error"]["code"] == "not_joined"
    await member.join(booked.booking_id)
    for bad in (
        {"audio": "yes", "video": True},
        {"audio": True},
        {"audio": True, "video": True, "x": 1},
    ):
        answer = await member.call("media:state", bad)
        assert answer["error"]["code"] == "bad_payload", bad
