"""Two `flourish serve` processes sharing PostgreSQL and Redis: a viewer on one is told of a
hold placed through the other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio

from realtime import wiring
from realtime.auth.models import Role
from realtime.settings import Settings
from tests.booking.support import Caller, application, make_user
from tests.realtime.test_cli import serving
from tests.signalling.viewers import WAIT, Viewer
from tests.support.stacks import SECRET, Stack

EVERY_DAY = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(7)]


def server_environment(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
        "SECRET_KEY": SECRET,
        "AUTO_MIGRATE": "false",
        "LOG_LEVEL": "WARNING",
    }


async def post(http: aiohttp.ClientSession, path: str, body: Any, caller: Caller) -> Any:
    async with http.post(path, json=body, headers=caller.headers) as response:
        assert response.status in (200, 201), await response.text()
        return await response.json()


async def subscribers(settings: Settings) -> int:
    """How many processes listen on the deployment's socket.io channel."""
    client = redis.asyncio.Redis.from_url(settings.redis_url)
    try:
        ((_, count),) = await client.pubsub_numsub(f"{settings.redis_prefix}socketio")
        return int(count)
    finally:
        await client.aclose()


async def until_subscribed(settings: Settings, processes: int) -> None:
    """Until every process listens: a condition in Redis, with no event of ours to await."""
    while await subscribers(settings) < processes:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    """An emptied PostgreSQL schema and a Redis prefix of this test's own."""
    return production_stack.settings_for(tmp_path)


async def test_a_hold_through_one_process_reaches_a_viewer_on_the_other(
    settings: Settings, tmp_path: Path
) -> None:
    environment = server_environment(settings)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serving(tmp_path / "a", **environment) as a,
        serving(tmp_path / "b", **environment) as b,
    ):
        async with (
            wiring.services(settings) as services,
            aiohttp.ClientSession(f"http://127.0.0.1:{b.port}") as through_b,
        ):
            admin = await make_user(services, Role.ADMIN, "Ada Admin")
            coach = await make_user(services, Role.COACH, "Dr Ann Lee")
            member = await make_user(services, Role.CLIENT, "Cleo Client")
            body = application(time_zone="UTC", weekly_hours=EVERY_DAY)
            applied = await post(through_b, "/api/coaches/me/application", body, coach)
            await post(through_b, f"/api/admin/applications/{applied['id']}/approve", {}, admin)
            coach_id = str(applied["coach_id"])

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
