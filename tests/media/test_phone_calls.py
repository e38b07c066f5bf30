"""How a call gets in: a participant of a phone session gets their PIN in the app; Twilio's
webhooks (a stand-in speaking Twilio's documented form posts and X-Twilio-Signature, since
Twilio itself cannot run here) are answered with the `twilio` package's own TwiML: the PIN
asked for, connected to the media stream inside the join window, asked again on a wrong PIN,
the call ended politely after three; a bad signature is 403 and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, VoiceResponse

from booking.storage.phone_pins import PhonePin
from media.phone import CONNECTING, GOODBYE_WRONG_PIN, read_ticket, ticket_key
from media.phone_api import NOT_OPEN
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_holds import WEEKDAYS, hold, hold_body
from tests.booking.api.test_payment import client_secret, confirm
from tests.booking.support import Caller, Client, get_json, listed_coach, make_user, problem
from tests.signalling.sessions import START
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

TOKEN = "0123456789abcdef0123456789abcdef"
PUBLIC = "https://flourish.test"
NUMBER = "+14155550100"
PHONE_OFFERINGS = [{"session_type": "phone", "rate_minor": 9000, "durations": [50]}]


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(
        tmp_path,
        phone_enabled=True,
        twilio_auth_token=TOKEN,
        phone_number=NUMBER,
        public_url=PUBLIC,
    )


async def phone_session(client: Client, services: Services) -> tuple[Caller, Caller, str]:
    """A confirmed 50-minute phone session at START: (client, coach, booking id)."""
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    coach, coach_id = await listed_coach(
        client, services, admin, weekly_hours=WEEKDAYS, offerings=PHONE_OFFERINGS
    )
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    held = await hold(client, member, hold_body(coach_id, START, session_type="phone"))
    assert held.status == 201, await held.text()
    booking_id = (await held.json())["id"]
    secret = await client_secret(client, member, booking_id)
    assert (await confirm(client, member, secret)).status == 200
    return member, coach, booking_id


async def twilio_post(client: Client, path: str, params: dict[str, str], token: str = TOKEN) -> Any:
    signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return await client.post(path, data=params, headers={"X-Twilio-Signature": signature})


async def dial_in(client: Client, caller: Caller, booking_id: str) -> Any:
    return await client.get(f"/api/bookings/{booking_id}/phone", headers=caller.headers)


async def test_a_caller_types_their_pin_and_is_connected_to_the_stream(
    client: Client, services: Services, clock: FakeClock
) -> None:
    member, coach, booking_id = await phone_session(client, services)
    answer = await dial_in(client, member, booking_id)
    assert answer.status == 200, await answer.text()
    details = await answer.json()
    assert details["number"] == NUMBER
    pin = details["pin"]
    assert len(pin) == 6
    assert pin.isdigit()
    assert (await (await dial_in(client, member, booking_id)).json())["pin"] == pin  # the same
    coach_pin = (await (await dial_in(client, coach, booking_id)).json())["pin"]
    assert coach_pin != pin
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    assert (await dial_in(client, stranger, booking_id)).status == 404
    async with services.db.session() as session:
        rows = list(await session.scalars(select(PhonePin)))
    assert {r.user_id for r in rows} == {member.user_id, coach.user_id}
    assert all(pin.encode() not in r.pin and pin not in r.digest for r in rows)  # hashed, sealed

    call = {"CallSid": "CA0001", "From": "+447700900123", "To": NUMBER}
    asked = await twilio_post(client, "/api/phone/voice", call)
    assert asked.status == 200, await asked.text()
    assert asked.content_type == "text/xml"
    assert "<Gather" in await asked.text()
    assert 'input="dtmf"' in await asked.text()

    clock.set(START - timedelta(minutes=5))  # the room is open
    connected = await twilio_post(client, "/api/phone/voice/pin?attempt=1", {**call, "Digits": pin})
    assert connected.status == 200, await connected.text()
    twiml = await connected.text()
    ticket = twiml.split('name="ticket" value="')[1].split('"')[0]
    expected = VoiceResponse()
    expected.say(CONNECTING)
    connect = Connect()
    connect.stream(url="wss://flourish.test/phone/stream").parameter(name="ticket", value=ticket)
    expected.append(connect)
    assert twiml == str(expected)  # the package's own builders
    # The ticket names the participant, signed, for a short while.
    key = ticket_key(services.settings.secret_key)
    now = clock.now().timestamp()
    assert read_ticket(key, ticket, now) == (booking_id, str(member.user_id))
    assert read_ticket(key, ticket, now + 600) is None
    assert read_ticket(key, ticket.replace(booking_id, str(uuid.uuid4())), now) is None
    assert pin not in twiml


async def test_wrong_pins_are_asked_again_then_the_call_ends_politely(
    client: Client, services: Services, clock: FakeClock
) -> None:
    member, _, booking_id = await phone_session(client, services)
    pin = (await (await dial_in(client, member, booking_id)).json())["pin"]
    call = {"CallSid": "CA0002", "From": "+447700900124", "To": NUMBER}
    wrong = "000000" if pin != "000000" else "111111"
    for attempt in (1, 2):
        again = await twilio_post(
            client, f"/api/phone/voice/pin?attempt={attempt}", {**call, "Digits": wrong}
        )
        text = await again.text()
        assert "<Gather" in text
        assert f"attempt={attempt + 1}" in text
    ended = await twilio_post(client, "/api/phone/voice/pin?attempt=3", {**call, "Digits": wrong})
    assert await ended.text() == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>'
        f"{GOODBYE_WRONG_PIN}</Say><Hangup /></Response>"
    )
    # The right PIN too early: told when to call, and hung up.
    clock.set(START - timedelta(hours=2))
    early = await twilio_post(client, "/api/phone/voice/pin?attempt=1", {**call, "Digits": pin})
    assert NOT_OPEN in await early.text()
    assert "<Hangup" in await early.text()


async def test_a_bad_signature_is_refused_and_nothing_else_answers(
    client: Client, services: Services
) -> None:
    member, _, booking_id = await phone_session(client, services)
    pin = (await (await dial_in(client, member, booking_id)).json())["pin"]
    forged = await twilio_post(
        client, "/api/phone/voice/pin?attempt=1", {"Digits": pin}, token="not-the-token-at-all"
    )
    assert (await problem(forged, 403))["code"] == "webhook_signature_invalid"
    unsigned = await client.post("/api/phone/voice", data={"CallSid": "CA3"})
    assert unsigned.status == 403
    # A video session has no dial-in.
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    other = await make_user(services, Role.CLIENT, "Vera Video")
    held = await hold(client, other, hold_body(coach_id, START))
    video_id = (await held.json())["id"]
    assert (await problem(await dial_in(client, other, video_id), 409))["code"] == (
        "phone_not_offered"
    )


async def test_a_coach_may_let_clients_join_video_sessions_by_telephone(
    client: Client, services: Services
) -> None:
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    video = {"session_type": "video", "rate_minor": 12000, "durations": [50], "dial_in": True}
    coach, coach_id = await listed_coach(
        client, services, admin, weekly_hours=WEEKDAYS, offerings=[video]
    )
    profile = await get_json(client, f"/api/coaches/{coach_id}")
    assert [(o["session_type"], o["dial_in"]) for o in profile["session_types"]] == [
        ("video", True)
    ]
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    held = await hold(client, member, hold_body(coach_id, START))
    assert (await held.json())["dial_in"] is True  # fixed for this booking at the hold
    booking_id = (await held.json())["id"]
    assert (
        await confirm(client, member, await client_secret(client, member, booking_id))
    ).status == 200
    answer = await dial_in(client, member, booking_id)
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["number"] == NUMBER

    # The coach stops offering it: the booking made meanwhile keeps its dial-in, new ones not.
    changed = await client.patch(
        "/api/coaches/me",
        json={"offerings": [{**video, "dial_in": False}]},
        headers=coach.headers,
    )
    assert changed.status == 200, await changed.text()
    assert (await dial_in(client, member, booking_id)).status == 200
    later = await hold(client, member, hold_body(coach_id, START + timedelta(days=1)))
    assert (await later.json())["dial_in"] is False
    # A chat session has no call to join.
    chat = {"session_type": "chat", "rate_minor": 6000, "durations": [30], "dial_in": True}
    refused = await client.patch(
        "/api/coaches/me", json={"offerings": [video, chat]}, headers=coach.headers
    )
    assert (await problem(refused, 422))["code"] == "validation_failed"
