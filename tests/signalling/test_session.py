"""`/session`: who may join a session's room and when, relaying signals, and bad input."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
import socketio

from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.signalling.sessions import (
    LATER,
    START,
    book,
    hold_only,
    open_window,
    token,
)
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

TURN_SECRET = "turn-shared-secret"
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {
    "candidate": "candidate:1 1 UDP 2122252543 192.0.2.7 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(
        tmp_path,
        stun_urls=("stun:stun.example.org:3478",),
        turn_urls=("turn:turn.example.org:3478?transport=udp",),
        turn_secret=TURN_SECRET,
        signal_rate=5,
    )


async def test_coach_and_client_meet_and_relay_signals(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)

    first = await member.join(booked.booking_id)
    assert (first["role"], first["session_type"], first["peers"]) == ("client", "video", [])
    assert (first["starts_at"], first["ends_at"]) == (
        "2026-03-10T13:00:00Z",
        "2026-03-10T13:50:00Z",
    )
    second = await coach.join(booked.booking_id)
    assert second["peers"] == [
        {"peer_id": member.peer_id, "role": "client", "display_name": "Cleo Client", "via": "web"}
    ]
    assert await member.next("peer-joined") == {
        "peer_id": coach.peer_id,
        "role": "coach",
        "display_name": "Dr Ann Lee",
        "via": "web",
    }

    assert await member.call(
        "signal", {"to": coach.peer_id, "description": {"type": "offer", "sdp": SDP}}
    ) == {"ok": True}
    assert await coach.next("signal") == {
        "from": member.peer_id,
        "description": {"type": "offer", "sdp": SDP},
    }
    await coach.send("signal", {"to": member.peer_id, "candidate": CANDIDATE})
    assert await member.next("signal") == {"from": coach.peer_id, "candidate": CANDIDATE}
    assert member.pending("error") == coach.pending("error") == []


async def test_join_gives_stun_and_time_limited_turn_credentials(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    ack = await (await peers(booked.member)).join(booked.booking_id)

    stun, turn = ack["ice_servers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    expiry, user = turn["username"].split(":")
    assert user == str(booked.member.user_id)
    assert int(expiry) == int(clock.now().timestamp()) + services.settings.turn_ttl
    digest = hmac.new(TURN_SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()


async def test_only_participants_of_a_confirmed_booking_join_inside_its_window(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    unpaid = await hold_only(client, booked, LATER)
    other = await book(client, services, START + timedelta(days=1))

    async def refused(peer: Peer, booking_id: str) -> str:
        ack = await peer.call("join", {"booking_id": booking_id})
        assert ack["ok"] is False
        told = await peer.next("error")
        assert told == {**ack["error"], "event": "join"}
        code: str = ack["error"]["code"]
        return code

    clock.set(START - timedelta(minutes=10, seconds=1))
    member, stranger = await peers(booked.member), await peers(other.member)
    assert await refused(member, booked.booking_id) == "session_not_open"
    clock.advance(1)
    assert await refused(stranger, booked.booking_id) == "booking_not_found"
    assert await refused(member, other.booking_id) == "booking_not_found"
    assert await refused(member, "7d1b1c9e-0000-4000-8000-000000000000") == "booking_not_found"
    assert await refused(member, unpaid) == "booking_not_confirmed"
    await member.join(booked.booking_id)
    assert await refused(member, booked.booking_id) == "already_joined"

    clock.set(START + timedelta(minutes=50, seconds=119))
    await (await peers(booked.coach)).join(booked.booking_id)  # in the grace after the end
    clock.advance(1)  # the hard stop (SESSION_END_GRACE after the end)
    late = await peers(booked.coach)
    assert await refused(late, booked.booking_id) == "session_over"


async def test_a_canceled_booking_has_no_room(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    canceled = await client.post(
        f"/api/bookings/{booked.booking_id}/cancel",
        json={"reason": "Travelling"},
        headers=booked.member.headers,
    )
    assert canceled.status == 200, await canceled.text()
    open_window(clock)
    ack = await (await peers(booked.coach)).call("join", {"booking_id": booked.booking_id})
    assert ack["error"]["code"] == "booking_not_confirmed"


async def refusal(url: str, auth: object) -> str:
    peer = Peer()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await peer.connect(url, auth)
    finally:
        await peer.close()
    (refused,) = peer.refusals
    code: str = refused["data"]["code"]
    return code


async def test_a_bad_or_expired_token_is_refused_saying_why(
    client: Client, services: Services, clock: FakeClock, app_url: str
) -> None:
    booked = await book(client, services)
    assert await refusal(app_url, {"token": "not-a-token"}) == "token_invalid"
    assert await refusal(app_url, None) == "bad_payload"
    assert await refusal(app_url, {"token": token(booked.member), "x": 1}) == "bad_payload"
    expired = token(booked.member)
    clock.advance(services.settings.access_token_ttl + 1)
    assert await refusal(app_url, {"token": expired}) == "token_expired"


async def test_signals_stay_inside_their_room(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    other = await book(client, services)  # another coach, another client, same time
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    outsider = await peers(other.member)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    await outsider.join(other.booking_id)

    ack = await outsider.call("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
    assert ack["error"]["code"] == "peer_not_found"
    assert (await outsider.next("error"))["code"] == "peer_not_found"
    # The coach's next signal is the member's: nothing from the outsider came before it.
    await member.send("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
    assert (await coach.next("signal"))["from"] == member.peer_id


async def test_bad_signals_are_refused_and_the_socket_keeps_working(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    ack = await member.call("signal", {"to": "nobody", "candidate": CANDIDATE})
    assert ack["error"]["code"] == "not_joined"
    assert (await member.next("error"))["code"] == "not_joined"
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    to = coach.peer_id
    for payload, code in [
        (None, "bad_payload"),
        ("a string", "bad_payload"),
        ({"to": to}, "bad_payload"),
        ({"to": to, "description": {"type": "offer", "sdp": "x" * 32_001}}, "payload_too_large"),
        ({"to": to, "candidate": {**CANDIDATE, "candidate": "c" * 1025}}, "payload_too_large"),
        ({"to": to, "description": {"type": "hello", "sdp": SDP}}, "bad_payload"),
        ({"to": to, "candidate": CANDIDATE, "as": "admin"}, "bad_payload"),
        ({"to": to, "candidate": {**CANDIDATE, "extra": 1}}, "bad_payload"),
    ]:
        await member.send("signal", payload)
        told = await member.next("error")
        assert (told["code"], told["event"]) == (code, "signal"), payload
    ack = await member.call("dance", {})
    assert ack["error"]["code"] == "unknown_event"
    assert (await member.next("error"))["code"] == "unknown_event"

    await member.send("signal", {"to": to, "description": {"type": "offer", "sdp": SDP}})
    assert (await coach.next("signal"))["description"]["sdp"] == SDP
    assert coach.pending("signal") == []


async def test_signals_are_rate_limited_per_socket(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    burst = 2 * services.settings.signal_rate  # the bucket starts full
    acks = [
        await member.call("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
        for _ in range(burst + 1)
    ]
    assert [a["ok"] for a in acks] == [True] * burst + [False]
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert (await member.next("error"))["code"] == "rate_limited"
    clock.advance(1)
    ok = await member.call("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
    assert ok == {"ok": True}
    assert len([await coach.next("signal") for _ in range(burst + 1)]) == burst + 1


async def test_a_socket_that_never_joins_is_closed(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    idle, joined = await peers(booked.member), await peers(booked.coach)
    await joined.join(booked.booking_id)
    clock.advance(services.settings.join_timeout)
    assert (await idle.next("error"))["code"] == "join_timeout"
    await idle.gone.wait()
    assert not joined.gone.is_set()
    assert (await joined.call("leave", {})) == {"ok": True}  # in no room again
    clock.advance(services.settings.join_timeout)
    assert (await joined.next("error"))["code"] == "join_timeout"
    await joined.gone.wait()


async def test_signals_arrive_in_the_order_they_were_sent(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    """An answer must not be overtaken by the candidates sent after it, even when the first
    signal makes the server look the peer up (the member joined before the coach)."""
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    burst = 2 * services.settings.signal_rate
    for index in range(burst):
        candidate = {**CANDIDATE, "sdpMLineIndex": index}
        await member.send("signal", {"to": coach.peer_id, "candidate": candidate})
    received = [await coach.next("signal") for _ in range(burst)]
    assert [r["candidate"]["sdpMLineIndex"] for r in received] == list(range(burst))
