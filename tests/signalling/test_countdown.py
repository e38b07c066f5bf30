"""Server-kept session time on `/session`: warnings, the hard stop, `timer:sync`, TURN refresh,
and a booking change moving or dropping the timers; whole sessions on the fake clock."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_changes import cancel, reschedule
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import START, book, in_a_call, open_window
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

END = START + timedelta(minutes=50)
TURN_TTL = 600


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(
        tmp_path,
        turn_urls=("turn:turn.example.org:3478?transport=udp",),
        turn_secret="turn-shared-secret",
        turn_ttl=TURN_TTL,
        reschedule_notice_hours=0,
        access_token_ttl=86400,  # sockets connected before the session stay valid through it
    )


def ended_sessions(services: Services) -> list[uuid.UUID]:
    """The bookings whose `on_end` hook ran, in order."""
    ended: list[uuid.UUID] = []

    async def record(booking_id: uuid.UUID) -> None:
        ended.append(booking_id)

    assert services.countdown is not None
    services.countdown.on_end(record)
    return ended


async def settled() -> None:
    """Long enough for a timer that would fire now to reach the sockets (there is none)."""
    await asyncio.sleep(0.3)


async def test_the_server_warns_ends_the_session_and_lets_nobody_back(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    joined = await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    assert joined["timer"] == {
        "server_time": "2026-03-10T12:55:00Z",
        "ends_at": "2026-03-10T13:50:00Z",
        "closes_at": "2026-03-10T13:52:00Z",
        "warnings": [300, 60],
        "ice_expires_at": "2026-03-10T13:05:00Z",
    }

    for remaining in (300, 60):
        clock.set(END - timedelta(seconds=remaining))
        warning = {"booking_id": booked.booking_id, "remaining_s": remaining}
        for peer in (member, coach):
            assert await peer.next("timer:warning") == {**warning, "ends_at": joined["ends_at"]}
    clock.set(END + timedelta(seconds=119))
    await settled()
    assert member.pending("session:ended") == []
    clock.advance(1)

    for peer in (member, coach):
        told = await peer.next("session:ended")
        assert told == {"booking_id": booked.booking_id, "reason": "time_up"}
    chat = await member.call("chat:send", {"client_msg_id": "m-1", "text": "still there?"})
    assert chat["error"]["code"] == "not_joined"
    again = await member.call("join", {"booking_id": booked.booking_id})
    assert again["error"]["code"] == "session_over"
    assert member.sio.connected
    clock.advance(600)
    await settled()
    assert ended == [uuid.UUID(booked.booking_id)]
    assert member.pending("timer:warning") == member.pending("session:ended") == []
    assert services.countdown is not None
    assert await services.countdown.deadlines.store.pending() == 0
    scraped = services.metrics.render().decode()
    for kind in ("warning", "end"):
        count = 2 if kind == "warning" else 1
        assert f'flourish_session_timer_lateness_seconds_count{{kind="{kind}"}} {count}.0' in (
            scraped
        )


async def test_a_warning_due_before_the_join_is_not_sent_late(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    clock.set(END - timedelta(minutes=3))
    member = await peers(booked.member)
    await member.join(booked.booking_id)
    clock.set(END - timedelta(seconds=60))
    assert (await member.next("timer:warning"))["remaining_s"] == 60
    assert member.pending("timer:warning") == []


async def test_sync_comes_every_minute_and_ice_refresh_gives_fresh_credentials(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    _, member, _ = await in_a_call(client, services, clock, peers)
    refused = await member.call("ice:refresh", {"urgent": True})
    assert refused["error"]["code"] == "bad_payload"

    clock.advance(60)
    sync = await member.next("timer:sync")
    assert (sync["server_time"], sync["closes_at"]) == (
        "2026-03-10T12:56:00Z",
        "2026-03-10T13:52:00Z",
    )
    clock.advance(TURN_TTL - 120)
    fresh = await member.call("ice:refresh", {})
    assert fresh["ice_expires_at"] == "2026-03-10T13:14:00Z"
    (turn,) = fresh["ice_servers"]
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    assert turn["username"].startswith(f"{int(clock.now().timestamp()) + TURN_TTL}:")


async def test_timer_events_from_a_client_are_refused(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    outsider = await peers(booked.coach)
    assert (await outsider.call("ice:refresh", {}))["error"]["code"] == "not_joined"
    for event, payload in (
        ("timer:warning", {"booking_id": booked.booking_id, "remaining_s": 1}),
        ("session:ended", {"booking_id": booked.booking_id, "reason": "time_up"}),
        ("timer:sync", None),
        ("timer:sync", ["not", "an", "object"]),
    ):
        ack = await member.call(event, payload)
        assert ack["error"]["code"] == "server_event", ack
        assert await member.next("error") == {**ack["error"], "event": event}
    assert coach.pending("timer:warning") == coach.pending("session:ended") == []


async def test_a_cancel_drops_the_timers(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked, _, coach = await in_a_call(client, services, clock, peers)
    assert services.countdown is not None
    assert await services.countdown.deadlines.store.pending() == 3

    assert (await cancel(client, booked.member, booked.booking_id)).status == 200
    assert (await coach.next("session:closed"))["reason"] == "canceled"
    assert await services.countdown.deadlines.store.pending() == 0
    clock.set(END + timedelta(minutes=5))
    await settled()
    assert coach.pending("timer:warning") == coach.pending("session:ended") == []
    assert ended == []


async def test_a_reschedule_moves_the_timers_to_the_new_time(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    ended = ended_sessions(services)
    booked, member, coach = await in_a_call(client, services, clock, peers)
    moved_to = START + timedelta(days=1)
    moved = await reschedule(client, booked.member, booked.booking_id, moved_to)
    assert moved.status == 200, await moved.text()
    assert (await coach.next("session:closed"))["reason"] == "rescheduled"

    clock.set(END + timedelta(minutes=5))
    await settled()
    assert coach.pending("timer:warning") == coach.pending("session:ended") == []
    open_window(clock, moved_to)
    coach = await peers(booked.coach)  # the old socket was closed by the join timeout
    again = await coach.join(booked.booking_id)
    assert again["timer"]["closes_at"] == "2026-03-11T13:52:00Z"
    clock.set(moved_to + timedelta(minutes=45))
    assert (await coach.next("timer:warning"))["ends_at"] == "2026-03-11T13:50:00Z"
    clock.set(moved_to + timedelta(minutes=52))
    assert (await coach.next("session:ended"))["reason"] == "time_up"
    await settled()
    assert ended == [uuid.UUID(booked.booking_id)]
    assert member.pending("timer:warning") == []
