"""Session timers across two `flourish serve` processes sharing PostgreSQL and Redis, on a short
schedule (warnings 6 and 3 s before the end, a 2 s grace): SIGKILL the process that holds the
timers' lease, and the next warning and the hard stop still come within 2 s of their due
times, exactly once."""

from __future__ import annotations

import asyncio
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio

from realtime import wiring
from realtime.clock import SystemClock, utc
from realtime.settings import Settings
from signalling.countdown_protocol import SESSION_ENDED, TIMER_WARNING
from signalling.protocol import SESSION
from tests.realtime.test_cli import Server
from tests.signalling.peers import Peer
from tests.signalling.sessions import token
from tests.support.nodes import listed_coach, starting_now, two_nodes, until_subscribed
from tests.support.stacks import Stack

TAKEOVER = 2.0  # seconds: the most a timer may be late across the kill
SCHEDULE = {"SESSION_WARNINGS": "6,3", "SESSION_END_GRACE": "2", "TIMER_RECONCILE": "1"}


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(tmp_path)


class Timed(Peer):
    """A peer that also notes when each timer event reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.timed: list[tuple[str, dict[str, Any], datetime]] = []
        for event in (TIMER_WARNING, SESSION_ENDED):
            self.sio.on(event, handler=self._noter(event), namespace=SESSION)

    def _noter(self, event: str) -> Any:
        def note(payload: dict[str, Any]) -> None:
            self.timed.append((event, payload, SystemClock().now()))
            self.events[event].put_nowait(payload)

        return note


async def lease_holder(settings: Settings, nodes: tuple[Server, Server]) -> Server:
    """The process whose id is in the lease (`<pid>-<random>`)."""
    client = redis.asyncio.Redis.from_url(settings.redis_url)
    lease = f"{settings.redis_prefix}timers:lease"
    try:
        # A condition in Redis, with no event of ours to await.
        while (holder := await client.get(lease)) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()
    pid = int((holder.decode() if isinstance(holder, bytes) else holder).split("-")[0])
    (server,) = [node for node in nodes if node.process.pid == pid]
    return server


@pytest.mark.timeout(120)
async def test_killing_the_lease_holder_loses_no_timer_and_doubles_none(
    settings: Settings, tmp_path: Path
) -> None:
    with two_nodes(settings, tmp_path, **SCHEDULE) as nodes:
        a, b = nodes
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
        ):
            cast = await listed_coach(services, through_a)
            booking_id = await starting_now(
                services, cast.coach_id, cast.member.user_id, ends_in=timedelta(seconds=14)
            )
            holder = await lease_holder(settings, nodes)
            survivor = b if holder is a else a
            on_holder, on_survivor = Timed(), Timed()
            try:
                await on_holder.connect(
                    f"http://127.0.0.1:{holder.port}/", {"token": token(cast.coach)}
                )
                await on_survivor.connect(
                    f"http://127.0.0.1:{survivor.port}/", {"token": token(cast.member)}
                )
                await asyncio.wait_for(until_subscribed(settings, 2, "rights"), 10)
                joined = await on_survivor.join(booking_id)
                await on_holder.join(booking_id)
                ends_at = utc(datetime.fromisoformat(joined["ends_at"]))
                assert joined["timer"]["closes_at"] == (
                    ends_at + timedelta(seconds=2)
                ).isoformat().replace("+00:00", "Z")

                first = await asyncio.wait_for(on_survivor.next(TIMER_WARNING), 15)
                assert first["remaining_s"] == 6
                assert (await on_holder.next(TIMER_WARNING))["remaining_s"] == 6
                holder.process.send_signal(signal.SIGKILL)
                holder.process.wait(timeout=10)

                second = await asyncio.wait_for(on_survivor.next(TIMER_WARNING), 10)
                ended = await asyncio.wait_for(on_survivor.next(SESSION_ENDED), 10)
                assert second["remaining_s"] == 3
                assert ended == {"booking_id": booking_id, "reason": "time_up"}
                await asyncio.sleep(1.5)  # anything doubled would have come by now

                due = {
                    6: ends_at - timedelta(seconds=6),
                    3: ends_at - timedelta(seconds=3),
                    0: ends_at + timedelta(seconds=2),
                }
                got = [(p.get("remaining_s", 0), at) for _, p, at in on_survivor.timed]
                assert [kind for kind, _ in got] == [6, 3, 0]  # each once, in order
                late = {kind: (at - due[kind]).total_seconds() for kind, at in got}
                assert all(0 <= seconds < TAKEOVER for seconds in late.values()), late
                again = await on_survivor.call("join", {"booking_id": booking_id})
                assert again["error"]["code"] == "session_over"
            finally:
                await on_holder.close()
                await on_survivor.close()
