"""Two `flourish serve` processes sharing one PostgreSQL schema and one Redis prefix, and a
listed coach made through them: the start of every several-processes test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio

from booking.storage.bookings import Booking
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Caller, application, make_user
from tests.realtime.test_cli import Server, serving
from tests.support.stacks import MASTER_KEYS_VARIABLE, SECRET

EVERY_DAY = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(7)]


def server_environment(settings: Settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema,
        "REDIS_URL": settings.redis_url,
        "REDIS_PREFIX": settings.redis_prefix,
        "SECRET_KEY": SECRET,
        "MASTER_KEYS": MASTER_KEYS_VARIABLE,
        "AUTO_MIGRATE": "false",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def two_nodes(settings: Settings, tmp_path: Path, **extra: str) -> Iterator[tuple[Server, Server]]:
    """Two server processes on the test's database and Redis prefix, each in a folder of its
    own under `tmp_path` (`extra`: more environment variables, `CHAT_RATE="100"`)."""
    environment = server_environment(settings) | extra
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        serving(tmp_path / "a", **environment) as a,
        serving(tmp_path / "b", **environment) as b,
    ):
        yield a, b


async def post(http: aiohttp.ClientSession, path: str, body: Any, caller: Caller) -> Any:
    async with http.post(path, json=body, headers=caller.headers) as response:
        assert response.status in (200, 201), await response.text()
        return await response.json()


@dataclass(frozen=True)
class Cast:
    admin: Caller
    coach: Caller
    member: Caller
    coach_id: str


async def listed_coach(services: Services, http: aiohttp.ClientSession) -> Cast:
    """An admin, a client and a coach who applied and was approved through `http` (open every
    day, 08:00-20:00 UTC)."""
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    coach = await make_user(services, Role.COACH, "Dr Ann Lee")
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    body = application(time_zone="UTC", weekly_hours=EVERY_DAY)
    applied = await post(http, "/api/coaches/me/application", body, coach)
    await post(http, f"/api/admin/applications/{applied['id']}/approve", {}, admin)
    return Cast(admin, coach, member, str(applied["coach_id"]))


async def subscribers(settings: Settings, channel: str = "socketio") -> int:
    """How many processes listen on one of the deployment's channels (socket.io's, or
    `rights`)."""
    client = redis.asyncio.Redis.from_url(settings.redis_url)
    try:
        ((_, count),) = await client.pubsub_numsub(f"{settings.redis_prefix}{channel}")
        return int(count)
    finally:
        await client.aclose()


async def until_subscribed(settings: Settings, processes: int, channel: str = "socketio") -> None:
    """Until every process listens: a condition in Redis, with no event of ours to await."""
    while await subscribers(settings, channel) < processes:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


async def starting_now(
    services: Services,
    coach_id: str,
    client_id: uuid.UUID,
    ends_in: timedelta | None = None,
    *,
    starts_in: timedelta = timedelta(minutes=-1),
) -> str:
    """A confirmed 50-minute video session whose room is open (written to storage, as the
    booking flow cannot book a slot that has begun): by default it started a minute ago; it
    ends `ends_in` from now if given; a positive `starts_in` is a session about to start,
    which can still be canceled."""
    now = services.clock.now().replace(microsecond=0)
    start = now + starts_in if ends_in is None else now + ends_in - timedelta(minutes=50)
    end = start + timedelta(minutes=50)
    booking = Booking(
        coach_id=uuid.UUID(coach_id),
        client_id=client_id,
        session_type="video",
        duration=50,
        starts_at=start,
        ends_at=end,
        blocked_from=start,
        blocked_to=end,
        status="confirmed",
        price_minor=12000,
        currency="USD",
        commission_bps=2000,
        confirmed_at=start - timedelta(days=1),
        created_at=start - timedelta(days=1),
        updated_at=start - timedelta(days=1),
    )
    async with services.db.session() as session:
        session.add(booking)
    return str(booking.id)
