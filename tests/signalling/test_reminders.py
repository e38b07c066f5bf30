"""Session reminders, 24 hours and 1 hour before, to both participants: an email over real SMTP
(aiosmtpd) with the time in the reader's zone and a link, nothing about the session or the
other person; an in-app notification, pushed to an open socket and kept in the inbox. Exactly
once though several processes try; a reschedule moves them, a cancel withdraws them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from booking.services.reminders import Reminders
from booking.storage.reminders import ReminderRow
from realtime.auth.models import User
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_changes import cancel, reschedule
from tests.booking.support import Client, get_json
from tests.signalling.conftest import Connect
from tests.signalling.sessions import START, Booked, book, token
from tests.support.clock import FakeClock
from tests.support.smtp import Inbox, body
from tests.support.stacks import Stack

DAY, HOUR = timedelta(hours=24), timedelta(hours=1)


@pytest.fixture
def settings(stack: Stack, tmp_path: Path, inbox: Inbox) -> Settings:
    return stack.settings_for(
        tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=inbox.port,
        smtp_tls="none",
        public_url="https://flourish.test",
    )


async def reminders_of(services: Services, booked: Booked) -> list[tuple[str, str, str]]:
    """(recipient, lead, status) of the booking's reminders, by due time."""
    async with services.db.session() as session:
        rows = await session.scalars(
            select(ReminderRow)
            .where(ReminderRow.booking_id == uuid.UUID(booked.booking_id))
            .order_by(ReminderRow.due_at, ReminderRow.recipient, ReminderRow.id)
        )
        return [(r.recipient, r.lead, r.status) for r in rows]


async def email_of(services: Services, caller_id: uuid.UUID) -> str:
    async with services.db.session() as session:
        found = await session.scalar(select(User.email).where(User.id == caller_id))
    assert found is not None
    return found


async def deliver(services: Services, clock: FakeClock) -> None:
    """Several processes' reminder passes at once, then the outbox's."""
    push = services.scheduling.reminders.push
    await asyncio.gather(
        services.scheduling.reminders.send_due(),
        Reminders(services.db, clock, push).send_due(),
        Reminders(services.db, clock, push).send_due(),
    )
    await services.outbox.send_due()


async def test_both_are_reminded_a_day_and_an_hour_before_once_by_email_and_in_app(
    client: Client, services: Services, clock: FakeClock, viewers: Connect, inbox: Inbox
) -> None:
    booked = await book(client, services)
    async with services.db.session() as session:
        await session.execute(
            update(User).where(User.id == booked.member.user_id).values(time_zone="Europe/Berlin")
        )
    assert await reminders_of(services, booked) == [
        ("client", "24h", "pending"),
        ("coach", "24h", "pending"),
        ("client", "1h", "pending"),
        ("coach", "1h", "pending"),
    ]
    clock.set(START - DAY - timedelta(seconds=1))
    await deliver(services, clock)
    assert inbox.messages == []
    member = await viewers({"token": token(booked.member)})  # browsing the directory
    clock.set(START - DAY + timedelta(seconds=1))
    await deliver(services, clock)
    await deliver(services, clock)  # a second pass finds nothing left
    member_email, coach_email = (
        await email_of(services, booked.member.user_id),
        await email_of(services, booked.coach.user_id),
    )
    assert sorted(m["To"] for m in inbox.messages) == sorted([member_email, coach_email])
    to_member, to_coach = inbox.to(member_email)[0], inbox.to(coach_email)[0]
    # Each in the reader's zone: the client's Berlin, the coach's New York (on EDT since 8 March).
    assert to_member["Subject"] == "Your Flourish session starts Tue 10 Mar 2026, 14:00 CET"
    assert to_coach["Subject"] == "Your Flourish session starts Tue 10 Mar 2026, 09:00 EDT"
    link = f"https://flourish.test/sessions/{booked.booking_id}"
    assert link in body(to_member)
    assert link in body(to_coach)
    assert "Cleo" not in body(to_coach)  # nothing of the other person
    pushed = await member.next_notification()
    assert pushed["kind"] == "session_reminder"
    assert pushed["text"] == "Your session starts Tue 10 Mar 2026, 14:00 CET."
    assert pushed["booking_id"] == booked.booking_id

    found = await get_json(client, "/api/me/notifications", booked.member)
    assert found["unread"] == 1
    assert [n["id"] for n in found["items"]] == [pushed["id"]]

    clock.set(START - HOUR + timedelta(seconds=1))
    await deliver(services, clock)
    assert len(inbox.messages) == 4
    assert await reminders_of(services, booked) == [
        ("client", "24h", "sent"),
        ("coach", "24h", "sent"),
        ("client", "1h", "sent"),
        ("coach", "1h", "sent"),
    ]
    found = await get_json(client, "/api/me/notifications", booked.member)
    assert found["unread"] == 2
    read = await client.post(
        "/api/me/notifications/read",
        json={"ids": [found["items"][0]["id"]]},
        headers=booked.member.headers,
    )
    assert (await read.json()) == {"unread": 1}
    everything = await client.post(
        "/api/me/notifications/read", json={}, headers=booked.member.headers
    )
    assert (await everything.json()) == {"unread": 0}
    # Someone else's inbox is their own.
    theirs = await get_json(client, "/api/me/notifications", booked.coach)
    assert theirs["unread"] == 2


async def test_a_reschedule_moves_the_reminders_and_a_cancel_withdraws_them(
    client: Client, services: Services, clock: FakeClock, inbox: Inbox
) -> None:
    booked = await book(client, services)
    later = START + timedelta(days=1)
    moved = await reschedule(client, booked.member, booked.booking_id, later)
    assert moved.status == 200, await moved.text()
    assert await reminders_of(services, booked) == [
        ("client", "24h", "withdrawn"),
        ("coach", "24h", "withdrawn"),
        ("client", "1h", "withdrawn"),
        ("coach", "1h", "withdrawn"),
        ("client", "24h", "pending"),
        ("coach", "24h", "pending"),
        ("client", "1h", "pending"),
        ("coach", "1h", "pending"),
    ]
    clock.set(START - HOUR + timedelta(seconds=1))  # the old time's hour: nothing goes
    await deliver(services, clock)
    assert inbox.messages == []
    canceled = await cancel(client, booked.member, booked.booking_id)
    assert canceled.status == 200, await canceled.text()
    assert {status for _, _, status in await reminders_of(services, booked)} == {"withdrawn"}
    clock.set(later - HOUR + timedelta(seconds=1))
    await deliver(services, clock)
    assert inbox.messages == []
    assert (await get_json(client, "/api/me/notifications", booked.member))["items"] == []


async def test_reminders_found_late_send_only_what_is_still_of_use(
    client: Client, services: Services, clock: FakeClock, inbox: Inbox
) -> None:
    """After the servers were down for a day: the day reminder found within the last hour is
    skipped, the hour one goes; after the start nothing goes."""
    booked = await book(client, services)
    clock.set(START - timedelta(minutes=30))
    await deliver(services, clock)
    assert [m["Subject"].startswith("Your Flourish session") for m in inbox.messages] == [True] * 2
    assert await reminders_of(services, booked) == [
        ("client", "24h", "skipped"),
        ("coach", "24h", "skipped"),
        ("client", "1h", "sent"),
        ("coach", "1h", "sent"),
    ]
    other = await book(client, services, START + timedelta(days=1))
    clock.set(START + timedelta(days=1, minutes=1))
    await deliver(services, clock)
    assert len(inbox.messages) == 2
    assert {status for _, _, status in await reminders_of(services, other)} == {"skipped"}
