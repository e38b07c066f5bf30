"""Two `flourish serve` processes sharing PostgreSQL and Redis: a viewer on one is told of a
hold placed through the other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from realtime import wiring
from realtime.settings import Settings
from tests.signalling.viewers import WAIT, Viewer
from tests.support.nodes import listed_coach, post, two_nodes, until_subscribed
from tests.support.stacks import Stack


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    """An emptied PostgreSQL schema and a Redis prefix of this test's own."""
    return production_stack.settings_for(tmp_path)


async def test_a_hold_through_one_process_reaches_a_viewer_on_the_other(
    settings: Settings, tmp_path: Path
) -> None:
    with two_nodes(settings, tmp_path) as (a, b):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{b.port}") as through_b,
        ):
            cast = await listed_coach(services, through_b)
            coach_id, member = cast.coach_id, cast.member

            viewer = Viewer()
            try:
                await viewer.connect(f"http://127.0.0.1:{a.port}/")
                await viewer.watch(coach_id)
                await asyncio.wait_for(until_subscribed(settings, 2), WAIT)

                day = services.clock.now().date() + timedelta(days=2)
                start = datetime.combine(day, time(12, 0), tzinfo=UTC)
                hold: dict[str, Any] = {"coach_id": coach_id, "start": start.isoformat()}
                hold |= {"session_type": "video", "duration": 50}
                booking = await post(through_b, "/api/bookings", hold, member)

                assert await viewer.next_change() == {
                    "coach_id": coach_id,
                    "start": booking["starts_at"],
                    "end": booking["ends_at"],
                    "reason": "held",
                }
            finally:
                await viewer.close()
