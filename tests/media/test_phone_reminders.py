"""A phone session's reminder carries the dial-in number and the reader's own PIN (the one the
app shows them), over real SMTP (aiosmtpd); never in the subject or the in-app notification,
and gone from the outbox once sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from booking.services.reminders import Reminders
from realtime.email.models import OutboxEmail
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Client, get_json
from tests.media.test_phone_calls import NUMBER, PUBLIC, TOKEN, dial_in, phone_session
from tests.signalling.sessions import START
from tests.signalling.test_reminders import email_of
from tests.support.clock import FakeClock
from tests.support.smtp import Inbox, body
from tests.support.stacks import Stack


@pytest.fixture
def settings(stack: Stack, tmp_path: Path, inbox: Inbox) -> Settings:
    mail = {"smtp_host": "127.0.0.1", "smtp_port": inbox.port, "smtp_tls": "none"}
    phone = {"phone_enabled": True, "twilio_auth_token": TOKEN, "phone_number": NUMBER}
    return stack.settings_for(tmp_path, public_url=PUBLIC, **mail, **phone)


async def deliver(services: Services, clock: FakeClock) -> None:
    """Two processes' reminder passes at once, then the outbox's."""
    mine = services.scheduling.reminders
    other = Reminders(services.db, clock, mine.push, services.scheduling.phone_pins)
    await asyncio.gather(mine.send_due(), other.send_due())
    await services.outbox.send_due()


async def test_a_phone_sessions_reminder_tells_each_participant_their_own_pin(
    client: Client, services: Services, clock: FakeClock, inbox: Inbox
) -> None:
    member, coach, booking_id = await phone_session(client, services)
    clock.set(START - timedelta(hours=1) + timedelta(seconds=1))
    await deliver(services, clock)
    member_pin = (await (await dial_in(client, member, booking_id)).json())["pin"]
    coach_pin = (await (await dial_in(client, coach, booking_id)).json())["pin"]
    assert member_pin != coach_pin
    for caller, pin, other in ((member, member_pin, coach_pin), (coach, coach_pin, member_pin)):
        [message] = inbox.to(await email_of(services, caller.user_id))
        text = body(message)
        assert f"call {NUMBER} and enter your PIN {pin}, then press #" in text
        assert other not in text
        assert pin not in message["Subject"]
    async with services.db.session() as session:
        sent = list(await session.scalars(select(OutboxEmail)))
    assert len(sent) == 2
    assert all(email.params == {} for email in sent)  # the PINs are not kept in the outbox
    notes = await get_json(client, "/api/me/notifications", member)
    assert all(member_pin not in n["text"] for n in notes["items"])
