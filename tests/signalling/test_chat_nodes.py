"""Chat across two `flourish serve` processes sharing PostgreSQL and Redis: both sides send at
once through different processes and the room's `seq` has no gap; the client drops, misses
messages, reconnects to the other process and catches up: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from realtime import wiring
from realtime.settings import Settings
from tests.signalling.peers import Peer
from tests.signalling.sessions import token
from tests.signalling.viewers import WAIT
from tests.support.nodes import listed_coach, starting_now, two_nodes, until_subscribed
from tests.support.stacks import Stack

EACH = 20


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    """An emptied PostgreSQL schema and a Redis prefix of this test's own."""
    return production_stack.settings_for(tmp_path)


async def say(peer: Peer, who: str, numbers: range) -> list[dict[str, Any]]:
    """Send one message per number, one after another (as a person types); the acks."""
    acks = []
    for n in numbers:
        ack = await peer.call("chat:send", {"client_msg_id": f"{who}-{n}", "text": f"{who} {n}"})
        assert ack["ok"] is True, ack
        acks.append(ack)
    return acks


async def received(peer: Peer, count: int) -> list[dict[str, Any]]:
    return [await peer.next("chat:message") for _ in range(count)]


@pytest.mark.timeout(90)
async def test_chat_across_two_processes_loses_and_doubles_nothing_over_a_reconnect(
    settings: Settings, tmp_path: Path
) -> None:
    with two_nodes(settings, tmp_path, CHAT_RATE="1000", SOCKET_EVENT_RATE="1000") as (a, b):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
        ):
            cast = await listed_coach(services, through_a)
            booking_id = await starting_now(services, cast.coach_id, cast.member.user_id)

        coach, member, back = Peer(), Peer(), Peer()
        try:
            await coach.connect(f"http://127.0.0.1:{a.port}/", {"token": token(cast.coach)})
            await member.connect(f"http://127.0.0.1:{b.port}/", {"token": token(cast.member)})
            await asyncio.wait_for(until_subscribed(settings, 2), WAIT)
            await coach.join(booking_id)
            assert (await member.join(booking_id))["chat"] == {
                "last_seq": 0,
                "read_seq": 0,
                "peer_read_seq": 0,
            }

            coach_acks, member_acks = await asyncio.gather(
                say(coach, "coach", range(EACH)), say(member, "client", range(EACH))
            )
            assert sorted(x["seq"] for x in coach_acks + member_acks) == list(
                range(1, 2 * EACH + 1)
            )
            to_member = await received(member, EACH)
            to_coach = await received(coach, EACH)
            assert [m["seq"] for m in to_member] == [x["seq"] for x in coach_acks]
            assert [m["seq"] for m in to_coach] == [x["seq"] for x in member_acks]
            assert [m["text"] for m in to_member] == [f"coach {n}" for n in range(EACH)]

            # The client drops; the coach goes on; the client comes back through process A.
            seen = {x["seq"] for x in member_acks} | {m["seq"] for m in to_member}
            await member.close()
            missed = await say(coach, "coach", range(EACH, EACH + 5))
            await back.connect(f"http://127.0.0.1:{a.port}/", {"token": token(cast.member)})
            joined = await back.join(booking_id)
            assert joined["chat"] == {"last_seq": 2 * EACH + 5, "read_seq": 0, "peer_read_seq": 0}
            caught_up = await back.call("chat:history", {"after_seq": max(seen), "limit": 50})

            assert [m["seq"] for m in caught_up["messages"]] == [x["seq"] for x in missed]
            assert caught_up["has_more"] is False
            assert seen.isdisjoint(m["seq"] for m in caught_up["messages"])
            everything = seen | {m["seq"] for m in caught_up["messages"]}
            assert everything == set(range(1, 2 * EACH + 6))
            assert back.pending("chat:message") == []

            # Both processes' history agrees with what was delivered live.
            full = await coach.call("chat:history", {"limit": 200})
            live = {m["seq"]: m for m in to_member + to_coach + caught_up["messages"]}
            assert [m["seq"] for m in full["messages"]] == list(range(1, 2 * EACH + 6))
            assert all(live[m["seq"]] == m for m in full["messages"])
        finally:
            for peer in (coach, member, back):
                await peer.close()
