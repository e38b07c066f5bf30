"""Socket rights across two `flourish serve` processes sharing PostgreSQL and Redis: a change
made through one process reaches the sockets on the other at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from realtime import wiring
from realtime.settings import Settings
from tests.signalling.peers import Peer
from tests.signalling.sessions import token
from tests.signalling.test_rights import disconnected
from tests.signalling.test_session import CANDIDATE
from tests.signalling.viewers import WAIT, Viewer
from tests.support.nodes import listed_coach, starting_now, two_nodes, until_subscribed
from tests.support.stacks import Stack


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    """An emptied PostgreSQL schema and a Redis prefix of this test's own."""
    return production_stack.settings_for(tmp_path)


async def until_both_listen(settings: Settings) -> None:
    await asyncio.wait_for(until_subscribed(settings, 2, "rights"), WAIT)


@pytest.mark.timeout(90)
async def test_logout_everywhere_through_one_process_disconnects_sockets_on_the_other(
    settings: Settings, tmp_path: Path
) -> None:
    with two_nodes(settings, tmp_path) as (a, b):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
        ):
            cast = await listed_coach(services, through_a)
            member, coach = cast.member, cast.coach
            on_b, coach_on_b, viewer_on_b = Peer(), Peer(), Viewer()
            try:
                await on_b.connect(f"http://127.0.0.1:{b.port}/", {"token": token(member)})
                await coach_on_b.connect(f"http://127.0.0.1:{b.port}/", {"token": token(coach)})
                await viewer_on_b.connect(f"http://127.0.0.1:{b.port}/", {"token": token(member)})
                await until_both_listen(settings)

                async with through_a.post("/api/auth/logout-all", headers=member.headers) as out:
                    assert out.status == 204

                await disconnected(on_b)
                await disconnected(viewer_on_b)
                assert (await on_b.next("error"))["code"] == "token_invalid"
                assert coach_on_b.sio.connected
            finally:
                for socket in (on_b, coach_on_b, viewer_on_b):
                    await socket.close()


@pytest.mark.timeout(90)
async def test_a_cancel_through_one_process_empties_the_room_on_both(
    settings: Settings, tmp_path: Path
) -> None:
    with two_nodes(settings, tmp_path) as (a, b):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{a.port}") as through_a,
        ):
            cast = await listed_coach(services, through_a)
            coach, member = cast.coach, cast.member
            booking_id = await starting_now(
                services, cast.coach_id, member.user_id, starts_in=timedelta(minutes=5)
            )
            on_a, on_b = Peer(), Peer()
            try:
                await on_a.connect(f"http://127.0.0.1:{a.port}/", {"token": token(coach)})
                await on_b.connect(f"http://127.0.0.1:{b.port}/", {"token": token(member)})
                await asyncio.wait_for(until_subscribed(settings, 2), WAIT)
                await until_both_listen(settings)
                await on_a.join(booking_id)
                await on_b.join(booking_id)
                assert (await on_a.next("peer-joined"))["peer_id"] == on_b.peer_id

                cancel = {"reason": "Something came up"}
                path = f"/api/bookings/{booking_id}/cancel"
                async with through_a.post(path, json=cancel, headers=member.headers) as out:
                    assert out.status == 200, await out.text()

                closed = {"booking_id": booking_id, "reason": "canceled"}
                assert await on_a.next("session:closed") == closed
                assert await on_b.next("session:closed") == closed
                ack = await on_a.call("signal", {"to": on_b.peer_id, "candidate": CANDIDATE})
                assert ack["error"]["code"] == "not_joined"
                again = await on_b.call("join", {"booking_id": booking_id})
                assert again["error"]["code"] == "booking_not_confirmed"
                assert on_b.pending("signal") == []
            finally:
                await on_a.close()
                await on_b.close()
