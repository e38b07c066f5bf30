"""The phone bridge end to end: a caller (a stand-in speaking Twilio's side of Media Streams,
tests/media/twilio_streams.py) and a real aiortc coach joined through `/session`.

The caller's 440 Hz reaches the coach as 440 Hz and the coach's 880 Hz reaches the caller as
880 Hz, over PCMU; the caller is in the room as the client (`via: "phone"`); a hang-up is a
dropped seat that a call back within the grace period takes back; the one-minute warning and
the hard stop are heard, and after the goodbye has played (the provider's `mark`) the stream
closes; bad upgrades and bad frames are refused with nothing left running."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack
from sqlalchemy import select

from media.audio import prompt, ulaw_to_linear
from media.dialer import TwilioCall, next_loud
from media.phone_stream import PHONE_CALLS
from realtime.auth.models import AuthSession
from realtime.auth.phone_logins import PHONE_USER_AGENT
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Caller, Client
from tests.media.conftest import MakeEndpoint
from tests.media.endpoints import Endpoint
from tests.media.test_phone_calls import NUMBER, PUBLIC, TOKEN, dial_in, phone_session, twilio_post
from tests.media.twilio_streams import dominant, purity, tone
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.signalling.sessions import START
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

STREAM_URL = "wss://flourish.test/phone/stream"
END = START + timedelta(minutes=50)
Dial = Callable[..., Awaitable[TwilioCall]]


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(
        tmp_path,
        phone_enabled=True,
        twilio_auth_token=TOKEN,
        phone_number=NUMBER,
        public_url=PUBLIC,
        access_token_ttl=86400,  # the coach's socket outlives the clock's jumps to the end
    )


@pytest.fixture
async def calls(app_url: str) -> AsyncIterator[Callable[[], TwilioCall]]:
    made: list[TwilioCall] = []

    def make() -> TwilioCall:
        call = TwilioCall(app_url.rstrip("/") + "/phone/stream", STREAM_URL, TOKEN)
        made.append(call)
        return call

    yield make
    for call in made:
        await call.close()


async def ticket(client: Client, caller: Caller, booking_id: str) -> str:
    """What Twilio's `<Connect><Stream>` carries after the caller typed their PIN."""
    pin = (await (await dial_in(client, caller, booking_id)).json())["pin"]
    call = {"CallSid": "CA" + "1" * 32, "From": "+447700900123", "To": NUMBER}
    twiml = await (
        await twilio_post(client, "/api/phone/voice/pin?attempt=1", {**call, "Digits": pin})
    ).text()
    return str(twiml.split('name="ticket" value="')[1].split('"')[0])


async def open_room(
    client: Client, services: Services, clock: FakeClock
) -> tuple[Caller, Caller, str]:
    """A confirmed phone session whose room is open now: (client, coach, booking id)."""
    booked = await phone_session(client, services)
    clock.set(START - timedelta(minutes=5))
    return booked


async def dialled(call: TwilioCall, client: Client, caller: Caller, booking_id: str) -> TwilioCall:
    """The caller's stream opened and started, as Twilio does after the PIN."""
    await call.open()
    await call.start({"ticket": await ticket(client, caller, booking_id)})
    return call


async def coach_in_room(
    peers: Joiner, endpoints: MakeEndpoint, coach: Caller, booking_id: str
) -> tuple[Peer, Endpoint]:
    peer = await peers(coach)
    joined = await peer.join(booking_id)
    endpoint = endpoints(peer, joined["ice_servers"], frequency=880)
    endpoint.bridge_peer = next((p["peer_id"] for p in joined["peers"]), "")
    endpoint.follow()
    return peer, endpoint


async def heard_by(endpoint: Endpoint, seconds: float) -> bytes:
    """The next `seconds` of loud audio the coach hears."""
    return await next_loud(endpoint.received, seconds)


async def until_heard(call: TwilioCall, samples: int) -> None:
    while len(call.heard) < samples * 2:  # noqa: ASYNC110  (a buffer the reader appends to)
        await asyncio.sleep(0.02)


async def until_contains(call: TwilioCall, audio: bytes) -> None:
    while audio not in call.heard:  # noqa: ASYNC110  (a buffer the reader appends to)
        await asyncio.sleep(0.05)


async def nothing_running(services: Services, app: Any) -> None:
    """No bridge left, and every call's login ended."""

    async def settled() -> None:
        while app[PHONE_CALLS].bridges:  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    await asyncio.wait_for(settled(), 10)
    async with services.db.session() as session:
        logins = list(
            await session.scalars(
                select(AuthSession).where(AuthSession.user_agent == PHONE_USER_AGENT)
            )
        )
    assert logins
    assert all(login.revoked_at is not None for login in logins)


@pytest.mark.timeout(120)
async def test_the_caller_and_the_coach_hear_each_other_through_the_bridge(
    client: Client,
    services: Services,
    clock: FakeClock,
    peers: Joiner,
    endpoints: MakeEndpoint,
    calls: Callable[[], TwilioCall],
) -> None:
    member, coach, booking_id = await open_room(client, services, clock)
    coach_peer, coach_end = await coach_in_room(peers, endpoints, coach, booking_id)
    coach_ice = coach_end.ice_servers
    call = await dialled(calls(), client, member, booking_id)
    call.speak(tone(440, 20))

    joined = await coach_peer.next("peer-joined")
    assert joined["role"] == "client"
    assert joined["via"] == "phone"
    assert joined["display_name"] == "Cleo Client"
    await coach_end.connected(channel=False)
    assert "a=rtpmap:0 PCMU/8000" in coach_end.pc.remoteDescription.sdp
    audio = next(t for t in coach_end.pc.getTransceivers() if t.kind == "audio")
    assert audio._codecs[0].mimeType == "audio/PCMU"  # what both sides send
    assert dominant(await heard_by(coach_end, 1.0)) == pytest.approx(440, abs=10)
    assert dominant(await call.hears(1.0)) == pytest.approx(880, abs=10)

    # The caller hangs up: their seat is away (a dropped socket), and the room hears it left
    # when the grace period is over, unless they call back.
    await call.stop()
    await nothing_running(services, client.app)
    seen = await services.scheduling.attendance.stays(uuid.UUID(booking_id))
    assert [(s.role, s.via, s.left_at is not None) for s in seen] == [
        ("coach", "browser", False),
        ("client", "phone", True),  # present while the call was in the room, then left
    ]
    # aiortc cannot take a new connection's offer on its old one (a browser starts afresh).
    await coach_end.close()
    coach_end = endpoints(coach_peer, coach_ice, frequency=880)
    coach_end.follow()
    back = await dialled(calls(), client, member, booking_id)
    again = await coach_peer.next("peer-reconnected")
    assert again["peer_id"] == joined["peer_id"]
    assert again["via"] == "phone"
    back.speak(tone(440, 20))
    await coach_end.connected(channel=False)  # the bridge offered on a new connection
    assert dominant(await heard_by(coach_end, 1.0)) == pytest.approx(440, abs=10)


@pytest.mark.timeout(120)
async def test_the_caller_hears_the_warning_and_the_goodbye_then_the_call_ends(
    client: Client,
    services: Services,
    clock: FakeClock,
    peers: Joiner,
    endpoints: MakeEndpoint,
    calls: Callable[[], TwilioCall],
) -> None:
    member, coach, booking_id = await open_room(client, services, clock)
    call = await dialled(calls(), client, member, booking_id)
    # Alone in the room: told the coach will come (the recorded prompt, as it is).
    waiting = ulaw_to_linear(b"".join(prompt("waiting")))
    await asyncio.wait_for(until_heard(call, len(waiting) // 2), 15)
    assert bytes(call.heard[: len(waiting) // 2]) == waiting[: len(waiting) // 2]

    coach_peer, coach_end = await coach_in_room(peers, endpoints, coach, booking_id)
    await coach_end.offer(coach_end.bridge_peer, channel=False)  # the newcomer offers
    await coach_end.connected(channel=False)
    assert purity(await call.hears(1.0), 880) > 0.99  # the coach alone: a pure tone
    clock.set(END - timedelta(seconds=60))
    assert (await coach_peer.next("timer:warning"))["remaining_s"] == 60
    # The prompt over the coach's voice: much of what the caller hears is not the tone.
    assert purity(await call.hears(1.5), 880) < 0.8
    clock.set(END + timedelta(seconds=services.settings.session_end_grace))
    assert (await coach_peer.next("session:ended"))["reason"] == "time_up"
    await asyncio.wait_for(call.closed.wait(), 20)
    assert call.marks == ["bye"]  # the goodbye played to its end before the stream closed
    assert ulaw_to_linear(b"".join(prompt("goodbye"))) in call.heard  # whole, alone
    await nothing_running(services, client.app)


async def test_a_bad_upgrade_is_refused_with_nothing_started(
    client: Client, services: Services, clock: FakeClock, calls: Callable[[], TwilioCall]
) -> None:
    member, _, booking_id = await open_room(client, services, clock)
    forged = await client.get("/phone/stream", headers={"X-Twilio-Signature": "Zm9yZ2Vk"})
    assert forged.status == 403
    assert forged.content_type == "application/problem+json"
    assert (await forged.json())["code"] == "webhook_signature_invalid"

    # A start whose ticket is forged, expired or missing: closed, nobody joined.
    good = await ticket(client, member, booking_id)
    for parameters in ({"ticket": good[:-1] + "0"}, {}, {"ticket": "a.b.c.d"}):
        call = calls()
        await call.open()
        await call.start(parameters)
        await asyncio.wait_for(call.closed.wait(), 10)
        assert call.close_code == 1008
    expired = calls()
    await expired.open()
    clock.advance(180)
    await expired.start({"ticket": good})
    await asyncio.wait_for(expired.closed.wait(), 10)
    assert expired.close_code == 1008

    # Media before start: closed.
    early = calls()
    await early.open()
    await early.media(b"\xff" * 160)
    await asyncio.wait_for(early.closed.wait(), 10)
    assert early.close_code == 1008
    assert not client.app[PHONE_CALLS].bridges


async def test_bad_frames_are_dropped_then_the_stream_closed(
    client: Client, services: Services, clock: FakeClock, calls: Callable[[], TwilioCall]
) -> None:
    member, _, booking_id = await open_room(client, services, clock)
    call = calls()
    ws = (await dialled(call, client, member, booking_id)).ws
    assert ws is not None
    await call.hears(0.5)  # joined: the waiting prompt plays
    for bad in (
        "not json",
        "[]",
        '{"event": "media", "media": {"payload": "***"}, "streamSid": "MZ1"}',
        '{"event": "media", "media": {"payload": "", "timestamp": "0"}, "streamSid": "MZ1"}',
        '{"event": "wat", "streamSid": "MZ1"}',
    ):
        await ws.send_str(bad)
    await call.media(b"\xff" * 160)  # still carried
    assert not call.closed.is_set()
    for _ in range(20):
        await ws.send_str("{}")
    await asyncio.wait_for(call.closed.wait(), 10)
    assert call.close_code == 1008
    await nothing_running(services, client.app)

    # A frame over 16 KiB closes the stream at once.
    big = calls()
    ws = (await dialled(big, client, member, booking_id)).ws
    assert ws is not None
    await big.hears(0.5)
    await ws.send_str("x" * (17 * 1024))
    await asyncio.wait_for(big.closed.wait(), 10)
    assert big.close_code == 1009
    await nothing_running(services, client.app)


@pytest.mark.timeout(120)
async def test_the_coach_leaving_and_a_logout_everywhere_reach_the_call(
    client: Client,
    services: Services,
    clock: FakeClock,
    peers: Joiner,
    endpoints: MakeEndpoint,
    calls: Callable[[], TwilioCall],
) -> None:
    member, coach, booking_id = await open_room(client, services, clock)
    coach_peer, coach_end = await coach_in_room(peers, endpoints, coach, booking_id)
    call = await dialled(calls(), client, member, booking_id)
    call.speak(tone(440, 40))
    await coach_end.connected(channel=False)
    assert dominant(await call.hears(1.0)) == pytest.approx(880, abs=10)
    assert dominant(await heard_by(coach_end, 1.0)) == pytest.approx(440, abs=10)

    # The coach leaves: the call stays, told to wait; the coach comes back and offers anew.
    assert (await coach_peer.call("leave", {}))["ok"] is True
    await coach_end.close()
    waiting = ulaw_to_linear(b"".join(prompt("waiting")))
    await asyncio.wait_for(until_contains(call, waiting[:8000]), 15)
    assert not call.closed.is_set()
    joined = await coach_peer.join(booking_id)
    bridge = next(p for p in joined["peers"] if p["via"] == "phone")
    coach_end = endpoints(coach_peer, joined["ice_servers"], frequency=880)
    coach_end.pc.addTrack(VideoStreamTrack())  # a camera too, this time
    coach_end.follow()
    await coach_end.offer(bridge["peer_id"], channel=False)
    await coach_end.connected(channel=False)
    assert dominant(await call.hears(1.0)) == pytest.approx(880, abs=10)
    # The telephone refuses the video: nothing is sent to the server to decode.
    video = coach_end.pc.remoteDescription.sdp.split("m=video", 1)[1]
    assert "a=inactive" in video
    sending = next(t for t in coach_end.pc.getTransceivers() if t.kind == "video")
    assert sending.currentDirection == "inactive"
    # ... and hears the caller again on the new connection (aiortc stops a sender's track
    # when its connection closes: the bridge gives each connection a track of its own).
    assert dominant(await heard_by(coach_end, 1.0)) == pytest.approx(440, abs=10)

    # The caller's phone-scope token opens nothing else.
    calls_of = client.app[PHONE_CALLS]
    login = next(iter(calls_of.bridges)).login
    assert login is not None
    token = await calls_of.logins.token(login)
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 403

    # Logging out everywhere closes every socket of the account, the bridge's too: the call
    # hears why and ends.
    assert (await client.post("/api/auth/logout-all", headers=member.headers)).status == 204
    await asyncio.wait_for(call.closed.wait(), 20)
    assert call.marks == ["bye"]
    assert ulaw_to_linear(b"".join(prompt("closed"))) in call.heard
    await nothing_running(services, client.app)
