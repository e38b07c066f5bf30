"""Attendance on `/session` and the outcome it decides at the hard stop: stays written from
joins and leaves in server time, then completed / no_show_client / interrupted, decided once
(the hard stop and the sweep racing change nothing twice); whole sessions on the fake clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from booking.storage.bookings import Booking, BookingEvent
from booking.storage.refunds import PaymentRefund
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import Client, make_user
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import START, book, open_window
from tests.signalling.test_countdown import END, ended_sessions, settings, settled  # noqa: F401
from tests.support.clock import FakeClock

HARD_STOP = END + timedelta(seconds=120)


async def status_of(services: Services, booking_id: str) -> str:
    async with services.db.session() as session:
        found = await session.scalar(
            select(Booking.status).where(Booking.id == uuid.UUID(booking_id))
        )
    assert found is not None
    return found


async def until_decided(services: Services, booking_id: str, ended: list[uuid.UUID]) -> str:
    for _ in range(50):
        if uuid.UUID(booking_id) in ended:
            break
        await asyncio.sleep(0.05)
    return await status_of(services, booking_id)


async def test_both_there_with_a_reconnect_is_completed_once(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    clock.set(START + timedelta(minutes=10))
    await coach.close()  # the coach's network drops...
    await asyncio.sleep(0.2)
    clock.set(START + timedelta(minutes=12))
    coach = await peers(booked.coach)  # ...and comes back two minutes later
    await coach.join(booked.booking_id)

    stays = await services.scheduling.attendance.stays(uuid.UUID(booked.booking_id))
    assert [(s.role, s.joined_at, s.left_at) for s in stays] == [
        ("client", START - timedelta(minutes=5), None),
        ("coach", START - timedelta(minutes=5), START + timedelta(minutes=10)),
        ("coach", START + timedelta(minutes=12), None),
    ]
    clock.set(HARD_STOP)
    await member.next("session:ended")
    assert await until_decided(services, booked.booking_id, ended) == "completed"
    # The sweep finds nothing left to decide, and deciding again changes nothing.
    assert await services.scheduling.attendance.decide_overdue() == 0
    assert await services.scheduling.attendance.decide(uuid.UUID(booked.booking_id)) is None
    async with services.db.session() as session:
        events = list(
            await session.scalars(
                select(BookingEvent.event).where(
                    BookingEvent.booking_id == uuid.UUID(booked.booking_id),
                    BookingEvent.to_status == "completed",
                )
            )
        )
    assert events == ["complete"]
    # Left at the hard stop, in server time.
    stays = await services.scheduling.attendance.stays(uuid.UUID(booked.booking_id))
    assert all(s.left_at == HARD_STOP for s in stays if s.joined_at > START)

    # Both participants see it with the attendance it was decided from; nobody else does.
    seen = await client.get(
        f"/api/bookings/{booked.booking_id}/attendance", headers=booked.member.headers
    )
    assert seen.status == 200
    body = await seen.json()
    assert body["outcome"] == "completed"
    assert body["together_seconds"] == (50 - 2) * 60  # all but the coach's two minutes away
    assert [(s["role"], s["left_at"]) for s in body["stays"]] == [
        ("client", "2026-03-10T13:52:00Z"),
        ("coach", "2026-03-10T13:10:00Z"),
        ("coach", "2026-03-10T13:52:00Z"),
    ]
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    hidden = await client.get(
        f"/api/bookings/{booked.booking_id}/attendance", headers=stranger.headers
    )
    assert hidden.status == 404
    assert hidden.content_type == "application/problem+json"


async def test_a_coach_alone_makes_a_client_no_show(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked = await book(client, services)
    open_window(clock)
    coach = await peers(booked.coach)
    await coach.join(booked.booking_id)
    clock.set(HARD_STOP)
    await coach.next("session:ended")
    assert await until_decided(services, booked.booking_id, ended) == "no_show_client"


async def test_a_session_nobody_joined_is_decided_by_the_sweep(
    client: Client, services: Services, clock: FakeClock
) -> None:
    booked = await book(client, services)
    clock.set(END + timedelta(seconds=60))
    await settled()
    assert await services.scheduling.attendance.decide_overdue() == 0  # not past its stop
    clock.set(HARD_STOP + timedelta(seconds=1))
    await settled()
    await services.scheduling.attendance.decide_overdue()
    # Nobody came: an admin resolves it (and it is not paid out meanwhile).
    assert await status_of(services, booked.booking_id) == "interrupted"
    path = f"/api/admin/bookings/{booked.booking_id}/outcome"
    refused = await client.post(path, json={"outcome": "completed"}, headers=booked.coach.headers)
    assert refused.status == 403
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    wrong = await client.post(path, json={"outcome": "interrupted"}, headers=admin.headers)
    assert wrong.status == 422
    resolved = await client.post(path, json={"outcome": "no_show_coach"}, headers=admin.headers)
    assert resolved.status == 200, await resolved.text()
    assert (await resolved.json())["outcome"] == "no_show_coach"
    again = await client.post(path, json={"outcome": "completed"}, headers=admin.headers)
    assert again.status == 409
    assert await status_of(services, booked.booking_id) == "no_show_coach"
    async with services.db.session() as session:
        refunds = list(
            await session.scalars(
                select(PaymentRefund.status).where(
                    PaymentRefund.booking_id == uuid.UUID(booked.booking_id)
                )
            )
        )
    assert refunds == ["succeeded"]


async def test_a_coach_who_never_came_refunds_the_client_in_full(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked = await book(client, services)
    open_window(clock)
    member = await peers(booked.member)
    await member.join(booked.booking_id)
    clock.set(HARD_STOP)
    await member.next("session:ended")
    assert await until_decided(services, booked.booking_id, ended) == "no_show_coach"
    async with services.db.session() as session:
        paid = await session.scalar(
            select(Booking.price_minor).where(Booking.id == uuid.UUID(booked.booking_id))
        )
        refunds = list(
            await session.execute(
                select(
                    PaymentRefund.amount_minor, PaymentRefund.reason, PaymentRefund.status
                ).where(PaymentRefund.booking_id == uuid.UUID(booked.booking_id))
            )
        )
    assert [tuple(r) for r in refunds] == [(paid, "no_show_coach", "succeeded")]
