"""Chat messages in storage: `seq` gapless under concurrent sends, resends stored once, read
marks and unread counts; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from booking.services.messages import Messages
from booking.storage.messages import Message
from realtime.errors import AppError, Code
from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.sessions import Booked, book


def chat(services: Services) -> Messages:
    return services.scheduling.messages


async def stored(services: Services, booking_id: uuid.UUID) -> int:
    async with services.db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Message).where(Message.booking_id == booking_id)
            )
            or 0
        )


async def booked_room(client: Client, services: Services) -> tuple[Booked, uuid.UUID]:
    booked = await book(client, services)
    return booked, uuid.UUID(booked.booking_id)


async def test_concurrent_sends_from_both_sides_number_the_room_without_gaps(
    client: Client, services: Services
) -> None:
    booked, room = await booked_room(client, services)
    coach, member = booked.coach.user_id, booked.member.user_id
    messages = chat(services)
    sends = [
        messages.send(room, who, role, f"{role}-{n}", f"{role} message {n}")
        for n in range(15)
        for who, role in ((coach, "coach"), (member, "client"))
    ]
    sent = await asyncio.gather(*sends)

    assert sorted(s.message.seq for s in sent) == list(range(1, 31))
    page = await messages.history(room, 0, 100, user_id=member, role="client")
    assert [m.seq for m in page.messages] == list(range(1, 31))
    assert {m.client_msg_id for m in page.messages} == {s.message.client_msg_id for s in sent}
    by_id = {s.message.client_msg_id: s.message.seq for s in sent}
    assert all(by_id[m.client_msg_id] == m.seq for m in page.messages)
    assert {(m.role, m.sender) for m in page.messages} == {("coach", coach), ("client", member)}
    assert not page.has_more


async def test_a_resend_stores_nothing_new_and_answers_the_first_seq(
    client: Client, services: Services
) -> None:
    booked, room = await booked_room(client, services)
    member = booked.member.user_id
    messages = chat(services)
    first = await messages.send(room, member, "client", "m-1", "hello")
    again = await asyncio.gather(
        *(messages.send(room, member, "client", "m-1", "hello") for _ in range(5))
    )
    after = await messages.send(room, member, "client", "m-2", "next")

    assert first.new
    assert all(not s.new for s in again)
    assert {s.message.seq for s in again} == {first.message.seq} == {1}
    assert {s.message.sent_at for s in again} == {first.message.sent_at}
    assert after.message.seq == 2  # the refused resends took no number
    assert await stored(services, room) == 2
    # Another sender may use the same client_msg_id: it is the sender's own id.
    coach = await messages.send(room, booked.coach.user_id, "coach", "m-1", "hi")
    assert (coach.new, coach.message.seq) == (True, 3)


async def test_history_pages_by_seq(client: Client, services: Services) -> None:
    booked, room = await booked_room(client, services)
    messages = chat(services)
    for n in range(5):
        await messages.send(room, booked.member.user_id, "client", f"m-{n}", f"text {n}")
    first = await messages.history(room, 0, 2, user_id=booked.coach.user_id, role="coach")
    rest = await messages.history(room, 2, 10, user_id=booked.coach.user_id, role="coach")
    assert ([m.seq for m in first.messages], first.has_more) == ([1, 2], True)
    assert ([m.seq for m in rest.messages], rest.has_more) == ([3, 4, 5], False)
    assert {m.role for m in rest.messages} == {"client"}


async def test_read_marks_count_unread_and_refuse_an_unknown_seq(
    client: Client, services: Services
) -> None:
    booked, room = await booked_room(client, services)
    coach, member = booked.coach.user_id, booked.member.user_id
    messages = chat(services)
    for n in range(3):
        await messages.send(room, coach, "coach", f"c-{n}", f"from the coach {n}")
    await messages.send(room, member, "client", "m-0", "from the client")

    assert await messages.unread([room], member) == {room: 3}
    assert await messages.unread([room], coach) == {room: 1}
    assert await messages.mark_read(room, member, 2) == 2
    assert await messages.unread([room], member) == {room: 1}
    assert await messages.mark_read(room, member, 1) == 2  # never moves back
    with pytest.raises(AppError) as refused:
        await messages.mark_read(room, member, 5)
    assert refused.value.code == Code.UNKNOWN_SEQ
    assert (await messages.state(room, member)).read_seq == 2
    assert await messages.mark_read(room, member, 4) == 4
    assert await messages.unread([room], member) == {}
