"""`/session` chat: messages both ways, history, typing, read receipts and unread counts; bad
input refused with an error ack and nothing stored; messages over HTTP for participants only;
no message text in any log line."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from booking.storage.bookings import Booking
from booking.storage.messages import Message
from realtime.audit import AuditRow
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Caller, Client, make_user
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.signalling.sessions import START, book, in_a_call, open_window
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

CHAT_RATE = 3


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(tmp_path, chat_rate=CHAT_RATE)


async def messages_of(client: Client, caller: Caller, booking_id: str, **query: Any) -> Any:
    response = await client.get(
        f"/api/bookings/{booking_id}/messages", params=query, headers=caller.headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def refused(peer: Peer, event: str, payload: object) -> str:
    """The error code of a refused chat event, which is also told as an `error` event."""
    ack = await peer.call(event, payload)
    assert ack["ok"] is False, ack
    assert await peer.next("error") == {**ack["error"], "event": event}
    code: str = ack["error"]["code"]
    return code


async def test_coach_and_client_chat_both_ways_with_receipts(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)

    sent = await member.call("chat:send", {"client_msg_id": "m-1", "text": "  Hello, coach!\n"})
    assert sent == {"ok": True, "seq": 1, "sent_at": "2026-03-10T12:55:00Z"}
    assert await coach.next("chat:message") == {
        "seq": 1,
        "from": str(booked.member.user_id),
        "role": "client",
        "text": "  Hello, coach!\n",
        "sent_at": "2026-03-10T12:55:00Z",
        "client_msg_id": "m-1",
    }
    assert (await coach.call("chat:send", {"client_msg_id": "c-1", "text": "Hi!"}))["seq"] == 2
    assert (await member.next("chat:message"))["role"] == "coach"
    assert member.pending("chat:message") == []
    assert coach.pending("chat:message") == []

    assert await coach.call("chat:typing", {"typing": True}) == {"ok": True}
    assert await member.next("chat:typing") == {"from": str(booked.coach.user_id), "typing": True}

    listed = await client.get("/api/bookings", headers=booked.member.headers)
    assert [b["unread_messages"] for b in (await listed.json())["items"]] == [1]
    assert await member.call("chat:read", {"seq": 2}) == {"ok": True, "read_seq": 2}
    assert await coach.next("chat:read") == {"from": str(booked.member.user_id), "read_seq": 2}
    listed = await client.get("/api/bookings", headers=booked.member.headers)
    assert [b["unread_messages"] for b in (await listed.json())["items"]] == [0]
    listed = await client.get("/api/bookings?role=coach", headers=booked.coach.headers)
    assert [b["unread_messages"] for b in (await listed.json())["items"]] == [1]

    history = await coach.call("chat:history", {"after_seq": 0})
    assert [(m["seq"], m["role"], m["text"]) for m in history["messages"]] == [
        (1, "client", "  Hello, coach!\n"),
        (2, "coach", "Hi!"),
    ]
    assert history["has_more"] is False

    # A new socket of the client joins with the chat's state and catches up from its mark.
    again = await peers(booked.member)
    joined = await again.join(booked.booking_id)
    assert joined["chat"] == {"last_seq": 2, "read_seq": 2, "peer_read_seq": 0}
    # The coach, on a later visit, still sees that the client read both ("Seen").
    later = await peers(booked.coach)
    assert (await later.join(booked.booking_id))["chat"] == {
        "last_seq": 2,
        "read_seq": 0,
        "peer_read_seq": 2,
    }


async def test_a_resend_is_acked_with_the_first_seq_and_delivered_once(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    _booked, member, coach = await in_a_call(client, services, clock, peers)
    first = await member.call("chat:send", {"client_msg_id": "m-1", "text": "once"})
    clock.advance(1)
    again = await member.call("chat:send", {"client_msg_id": "m-1", "text": "once"})
    assert again == first
    await coach.call("chat:send", {"client_msg_id": "c-1", "text": "after"})
    assert (await member.next("chat:message"))["seq"] == 2
    assert [m["seq"] for m in (await coach.call("chat:history", {}))["messages"]] == [1, 2]
    assert [(await coach.next("chat:message"))["seq"]] == [1]
    assert coach.pending("chat:message") == []


async def test_bad_chat_input_is_refused_and_stores_nothing(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    other = await book(client, services, START + timedelta(days=1))
    outsider = await peers(other.member)

    assert await refused(member, "chat:send", {"client_msg_id": "m", "text": "x" * 4001}) == (
        "payload_too_large"
    )
    assert await refused(member, "chat:send", {"client_msg_id": "m", "text": " \n\t "}) == (
        "message_empty"
    )
    assert await refused(member, "chat:send", {"client_msg_id": "m", "text": ""}) == (
        "message_empty"
    )
    assert await refused(member, "chat:send", {"client_msg_id": "", "text": "hi"}) == "bad_payload"
    spoofed = {"client_msg_id": "m", "text": "hi", "seq": 7}
    assert await refused(member, "chat:send", spoofed) == "bad_payload"
    assert await refused(member, "chat:send", "hello") == "bad_payload"
    assert await refused(member, "chat:read", {"seq": 1}) == "unknown_seq"
    assert await refused(member, "chat:read", {"seq": 0}) == "bad_payload"
    assert await refused(member, "chat:history", {"booking_id": other.booking_id}) == (
        "bad_payload"
    )
    assert await refused(member, "chat:history", {"after_seq": -1}) == "bad_payload"
    # A stranger cannot join the room, so cannot chat in it; nor can a socket not yet joined.
    assert (await outsider.call("join", {"booking_id": booked.booking_id}))["ok"] is False
    await outsider.next("error")
    assert await refused(outsider, "chat:send", {"client_msg_id": "o", "text": "hi"}) == (
        "not_joined"
    )
    assert await refused(outsider, "chat:history", {}) == "not_joined"
    assert await refused(outsider, "chat:typing", {}) == "not_joined"
    assert await refused(outsider, "chat:read", {"seq": 1}) == "not_joined"

    assert (await messages_of(client, booked.member, booked.booking_id))["items"] == []
    assert coach.pending("chat:message") == []
    # The socket keeps working.
    assert (await member.call("chat:send", {"client_msg_id": "m", "text": "ok"}))["seq"] == 1


async def test_chat_is_rate_limited_per_socket(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    acks = [
        await member.call("chat:send", {"client_msg_id": f"m-{n}", "text": f"{n}"})
        for n in range(2 * CHAT_RATE + 1)
    ]
    assert [a["ok"] for a in acks] == [True] * (2 * CHAT_RATE) + [False]
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert await member.next("error") == {**acks[-1]["error"], "event": "chat:send"}
    page = await messages_of(client, booked.coach, booked.booking_id)
    assert [m["seq"] for m in page["items"]] == list(range(1, 2 * CHAT_RATE + 1))
    # The coach's socket has a bucket of its own.
    assert (await coach.call("chat:send", {"client_msg_id": "c", "text": "hi"}))["ok"] is True


async def test_the_chat_closes_with_the_session_and_its_history_stays_for_the_participants(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    for n in range(3):
        await member.call("chat:send", {"client_msg_id": f"m-{n}", "text": f"note {n}"})
    clock.set(START + timedelta(minutes=52))  # the hard stop: the end and SESSION_END_GRACE
    assert await refused(coach, "chat:send", {"client_msg_id": "c", "text": "late"}) == (
        "session_over"
    )

    page = await messages_of(client, booked.coach, booked.booking_id, after_seq=1, limit=1)
    assert [(m["seq"], m["text"], m["role"]) for m in page["items"]] == [(2, "note 1", "client")]
    assert page["has_more"] is True
    assert page["items"][0]["sender"] == str(booked.member.user_id)
    other = await book(client, services, START + timedelta(days=1))
    for stranger in (other.member, other.coach):
        response = await client.get(
            f"/api/bookings/{booked.booking_id}/messages", headers=stranger.headers
        )
        assert response.status == 404
        assert response.content_type == "application/problem+json"
        assert (await response.json())["code"] == "booking_not_found"
    bad = await client.get(
        f"/api/bookings/{booked.booking_id}/messages?limit=0", headers=booked.member.headers
    )
    assert (bad.status, (await bad.json())["code"]) == (422, "validation_failed")


async def test_an_admin_cannot_read_messages(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, _ = await in_a_call(client, services, clock, peers)
    await member.call("chat:send", {"client_msg_id": "m", "text": "private"})
    admin = await make_user(services, Role.ADMIN, "Another Admin")
    response = await client.get(
        f"/api/bookings/{booked.booking_id}/messages", headers=admin.headers
    )
    assert response.status == 404
    assert "private" not in await response.text()


async def test_a_chat_session_is_chat_only(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    async with services.db.session() as session:
        await session.execute(
            update(Booking)
            .where(Booking.id == uuid.UUID(booked.booking_id))
            .values(session_type="chat")
        )
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    joined = await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    assert (joined["session_type"], joined["ice_servers"]) == ("chat", [])
    assert (await coach.call("chat:send", {"client_msg_id": "c", "text": "hi"}))["ok"] is True
    assert (await member.next("chat:message"))["text"] == "hi"


async def test_no_log_line_carries_a_message_text(
    client: Client,
    services: Services,
    clock: FakeClock,
    peers: Joiner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "my-very-private-worry-4711"
    caplog.set_level(logging.DEBUG)
    booked, member, coach = await in_a_call(client, services, clock, peers)
    await member.call("chat:send", {"client_msg_id": "m-1", "text": f"{secret} one"})
    await member.call("chat:send", {"client_msg_id": "m-1", "text": f"{secret} one"})
    await coach.next("chat:message")
    await coach.call("chat:history", {})
    await coach.call("chat:read", {"seq": 5})  # refused: unknown seq
    await member.call("chat:send", {"client_msg_id": "m-2", "text": f"{secret} " * 1000})
    await messages_of(client, booked.coach, booked.booking_id)

    assert caplog.records, "nothing was logged: the capture is not working"
    assert any("chat" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in str(record.args)
        assert secret not in (record.exc_text or "")


async def test_stored_messages_are_sealed_and_a_moved_one_is_refused_not_shown(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    texts = ["my-first-private-thought", "my-second-private-thought"]
    for n, text in enumerate(texts):
        await member.call("chat:send", {"client_msg_id": f"m-{n}", "text": text})
    async with services.db.autocommit() as conn:
        rows = (await conn.execute(select(Message.id, Message.body).order_by(Message.seq))).all()
    assert len(rows) == 2
    for _, body in rows:
        assert not any(text.encode() in body for text in texts)
        assert b"private" not in body

    # The first message's ciphertext copied onto the second row does not open as the second.
    async with services.db.session() as session:
        await session.execute(
            update(Message).where(Message.id == rows[1][0]).values(body=rows[0][1])
        )
    ack = await coach.call("chat:history", {})
    assert (ack["ok"], ack["error"]["code"]) == (False, "sealed_data_damaged")
    response = await client.get(
        f"/api/bookings/{booked.booking_id}/messages", headers=booked.coach.headers
    )
    assert response.status == 500
    assert texts[0] not in await response.text()


async def test_every_send_and_history_read_is_audited_without_content(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    sent = await member.call("chat:send", {"client_msg_id": "m-1", "text": "audited words"})
    await member.call("chat:send", {"client_msg_id": "m-1", "text": "audited words"})  # resend
    await coach.call("chat:history", {"after_seq": 0})
    await messages_of(client, booked.member, booked.booking_id, after_seq=1)

    async with services.db.autocommit() as conn:
        rows = (
            await conn.execute(
                select(AuditRow.actor_id, AuditRow.action, AuditRow.booking_id, AuditRow.item_id)
                .where(AuditRow.action.like("chat.%"))
                .order_by(AuditRow.seq)
            )
        ).all()
        (message_id,) = (await conn.execute(select(Message.id))).scalars().all()
    room = uuid.UUID(booked.booking_id)
    assert sent["seq"] == 1
    assert [tuple(r) for r in rows] == [
        (booked.member.user_id, "chat.write", room, f"message:{message_id}"),
        (booked.coach.user_id, "chat.read", room, "messages:1-1"),
        (booked.member.user_id, "chat.read", room, "messages:2-"),
    ]
    assert await services.audit.verify() == []


async def test_a_canceled_session_chats_no_more(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    assert (await member.call("chat:send", {"client_msg_id": "m-1", "text": "Hi"}))["seq"] == 1
    assert (await coach.next("chat:message"))["seq"] == 1

    canceled = await client.post(
        f"/api/bookings/{booked.booking_id}/cancel",
        json={"reason": "Something came up"},
        headers=booked.member.headers,
    )
    assert canceled.status == 200, await canceled.text()
    await coach.next("session:closed")

    assert await refused(coach, "chat:send", {"client_msg_id": "c-1", "text": "Still here?"}) == (
        "not_joined"
    )
    assert member.pending("chat:message") == []
    async with services.db.session() as session:
        stored = await session.scalars(
            select(Message.seq).where(Message.booking_id == uuid.UUID(booked.booking_id))
        )
        assert list(stored) == [1]
