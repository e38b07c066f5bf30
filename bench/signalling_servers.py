"""The servers `bench.signalling` measures, each started as processes of its own.

- `bare`: `bench.relay`, a python-socketio relay with default settings (one process);
- `ours`: `flourish serve` as one node (PostgreSQL schema and Redis prefix of its own,
  authentication, validation, Redis presence);
- `bare-nodeflate` (only when named): the same relay refusing WebSocket permessage-deflate;
- `ours2`: two `flourish serve` nodes sharing that database and Redis, the two peers of every
  room on different nodes, so each signal crosses Redis.

`World` seeds the database once per benchmark run: a confirmed video booking per room whose
join window is open (started two minutes ago, an hour long), its coach and client with login
sessions and signed access tokens. Every server run gets a Redis prefix of its own, so one
run's presence never meets the next, and the same bookings serve every run.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio
from sqlalchemy import insert, text

from bench.processes import Process, free_port, healthy
from booking.policy.states import Status
from booking.storage.bookings import Booking
from realtime import migrate
from realtime.auth.models import AuthSession, Role, User
from realtime.auth.tokens import TokenCodec
from realtime.clock import SystemClock
from realtime.db import Database
from realtime.demo import UNUSABLE_HASH
from realtime.demo.profiles import TABLES, Rows, add_coach, draft_coach, user_row
from realtime.settings import new_master_key

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
NAMESPACE = "/session"
# Cores the servers run on (taskset -c), e.g. "0" while the harness and its generators run on
# core 1 (`BENCH_SERVER_CPUS=0 taskset -c 1 python -m bench.signalling`): each server gets a
# core of its own whatever its clients cost. Empty: the scheduler shares the cores.
SERVER_CPUS = os.environ.get("BENCH_SERVER_CPUS", "")
PINNED = ["taskset", "-c", SERVER_CPUS] if SERVER_CPUS else []
SERVERS = ("bare", "ours", "ours2")
EXTRA_SERVERS = ("bare-nodeflate",)  # measured only when named

Profile = tuple[str, Path]  # ("cpu" or "memory", path prefix): see bench/profiled.py
Peer = dict[str, Any]  # {"url", "token", "booking_id"}: what the load generator connects
Room = tuple[Peer, Peer]


@dataclass(frozen=True)
class Participants:
    """A seeded booking: its id and the access tokens of its coach and client."""

    booking_id: str
    coach_token: str
    client_token: str
    client_id: str = ""


@dataclass
class Running:
    """A started server: its processes and the rooms the load generator may use."""

    name: str
    processes: list[Process]
    rooms: list[Room]
    uses_redis: bool = False

    def cpu_seconds(self) -> float:
        return sum(p.cpu_seconds() for p in self.processes)

    async def redis_cpu_seconds(self) -> float:
        """Redis's CPU time so far (INFO cpu), 0 for a server without Redis. The Redis is the
        machine's, so other clients' work counts too."""
        if not self.uses_redis:
            return 0.0
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            info = await client.info("cpu")
        finally:
            await client.aclose()
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    def rss_bytes(self) -> int:
        return sum(p.rss_bytes() for p in self.processes)

    def mark_profile(self) -> None:
        """SIGUSR1 to processes run under `bench.profiled`: start or stop the CPU profile, or
        take a tracemalloc snapshot."""
        for p in self.processes:
            p.process.send_signal(signal.SIGUSR1)


class World:
    """The database every `ours` run uses: a schema of its own with bookings ready to join."""

    def __init__(self) -> None:
        self.schema = f"bench_{secrets.token_hex(4)}"
        self.redis_prefix = f"bench:{self.schema}:"
        self.secret = secrets.token_urlsafe(48)
        self.master_keys = new_master_key("bench")
        self.db = Database(POSTGRES_URL, schema=self.schema)
        self.bookings: list[Participants] = []
        self.runs = 0

    async def seed(self, rooms: int, session_type: str = "video") -> None:
        """`rooms` confirmed bookings (`video` unless told), each with its own coach and
        client."""
        await migrate.upgrade(self.db)
        now = SystemClock().now()
        rng = random.Random(2026)
        rows: Rows = {model: [] for model in TABLES}
        sessions, bookings = [], []
        for n in range(rooms):
            coach = add_coach(
                rows,
                draft_coach(rng),
                now,
                email=f"coach{n}@bench.flourish.example",
                password_hash=UNUSABLE_HASH,
            )
            client_id = uuid.uuid4()
            email = f"client{n}@bench.flourish.example"
            rows[User].append(
                user_row(client_id, email, UNUSABLE_HASH, Role.CLIENT, f"Client {n}", now)
            )
            sessions += [(coach.user_id, Role.COACH, uuid.uuid4())]
            sessions += [(client_id, Role.CLIENT, uuid.uuid4())]
            bookings.append(_booking(coach.coach_id, client_id, now, session_type))
        async with self.db.session() as session:
            for model in TABLES:
                if rows[model]:
                    await session.execute(insert(model), rows[model])
            await session.execute(
                insert(AuthSession),
                [
                    {
                        "id": session_id,
                        "user_id": user_id,
                        "token_hash": "!unusable",
                        "created_at": now,
                        "last_used_at": now,
                        "expires_at": now + timedelta(days=1),
                    }
                    for user_id, _, session_id in sessions
                ],
            )
            await session.execute(insert(Booking), bookings)
        async with self.db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        codec = TokenCodec(self.secret, SystemClock(), 4 * 3600)
        tokens = [
            codec.issue(user_id, role.value, session_id=session_id, version=0, scope="full")[0]
            for user_id, role, session_id in sessions
        ]
        self.bookings = [
            Participants(str(b["id"]), tokens[2 * n], tokens[2 * n + 1], str(b["client_id"]))
            for n, b in enumerate(bookings)
        ]

    def environment(self, prefix: str) -> dict[str, str]:
        return {
            "DATABASE_URL": POSTGRES_URL,
            "DATABASE_SCHEMA": self.schema,
            "SECRET_KEY": self.secret,
            # One master key for every process: each would otherwise make its own under var/.
            "MASTER_KEYS": self.master_keys,
            "AUTO_MIGRATE": "false",
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            # The closed loop sends far more signals per socket than a call does; the limiter
            # still runs on every signal, it just never refuses one.
            "SIGNAL_RATE": "100000",
            # Every generated socket comes from 127.0.0.1.
            "SOCKETS_PER_ADDRESS": "1000000",
        }

    async def drop(self) -> None:
        """Drop the schema and every Redis key of every run."""
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            client = redis.asyncio.Redis.from_url(REDIS_URL)
            try:
                pattern = f"{self.redis_prefix}*"
                keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
                if keys:
                    await client.delete(*keys)
            finally:
                await client.aclose()
        finally:
            await self.db.close()


def _booking(
    coach_id: uuid.UUID, client_id: uuid.UUID, now: datetime, session_type: str
) -> dict[str, Any]:
    starts = now - timedelta(minutes=2)
    ends = starts + timedelta(minutes=60)
    return {
        "id": uuid.uuid4(),
        "coach_id": coach_id,
        "client_id": client_id,
        "session_type": session_type,
        "duration": 60,
        "starts_at": starts,
        "ends_at": ends,
        "blocked_from": starts,
        "blocked_to": ends,
        "status": Status.CONFIRMED.value,
        "price_minor": 9000,
        "currency": "USD",
        "commission_bps": 2000,
        "confirmed_at": now - timedelta(days=1),
        "created_at": now - timedelta(days=1),
        "updated_at": now - timedelta(days=1),
    }


@asynccontextmanager
async def started(
    name: str,
    rooms: int,
    world: World | None,
    profile: Profile | None = None,
    environment: dict[str, str] | None = None,
) -> AsyncIterator[Running]:
    """Server `name` (one of SERVERS) running, with `rooms` rooms for the generator. With
    `profile` (mode, path prefix), each process runs under bench/profiled.py, writing to
    `<prefix>-<node>...`; `environment` adds settings for `ours` and `ours2`."""

    def python(node: int, module: str, *args: str) -> list[str]:
        # Under bench.profiled (plain: no profiling) so that SIGUSR2 prints its asyncio tasks;
        # -X faulthandler: SIGABRT prints its threads. For a server that will not start or stop.
        mode, prefix = profile or ("plain", Path("/dev/null"))
        return [
            *PINNED,
            *(sys.executable, "-X", "faulthandler", "-m", "bench.profiled"),
            *(mode, f"{prefix}-{node}", module, *args),
        ]

    if name.startswith("bare"):
        port = free_port()
        flags = ["--no-deflate"] if name == "bare-nodeflate" else []
        command = python(1, "bench.relay", "--port", str(port), *flags)
        async with processes([command], [port], {}) as running:
            url = running[0].url + NAMESPACE
            pairs = [
                ({"url": url, "token": None, "booking_id": f"room-{n}"},) * 2 for n in range(rooms)
            ]
            yield Running(name, running, pairs)
        return
    if world is None or len(world.bookings) < rooms:
        raise ValueError(f"{name} needs a seeded World with {rooms} bookings")
    world.runs += 1
    environment = world.environment(f"{world.redis_prefix}{world.runs}:") | (environment or {})
    nodes = 2 if name == "ours2" else 1
    ports = [free_port() for _ in range(nodes)]
    commands = [
        python(n, "realtime.cli", "serve", "--host", "127.0.0.1", "--port", str(port))
        for n, port in enumerate(ports, 1)
    ]
    async with processes(commands, ports, environment) as running:
        await _subscribed(f"{environment['REDIS_PREFIX']}socketio", nodes)
        urls = [p.url + NAMESPACE for p in running]
        pairs = [
            (
                {"url": urls[0], "token": b.coach_token, "booking_id": b.booking_id},
                {"url": urls[-1], "token": b.client_token, "booking_id": b.booking_id},
            )
            for b in world.bookings[:rooms]
        ]
        yield Running(name, running, pairs, uses_redis=True)


@asynccontextmanager
async def processes(
    commands: list[list[str]], ports: list[int], environment: dict[str, str]
) -> AsyncIterator[list[Process]]:
    """The commands running, each once it answers GET /healthz on its port; stopped after."""
    running: list[Process] = []
    try:
        for command, port in zip(commands, ports, strict=True):
            process = await asyncio.create_subprocess_exec(
                *command,
                env={**os.environ, **environment},
                stdout=asyncio.subprocess.DEVNULL,
                cwd=Path(__file__).parent.parent,
            )
            running.append(Process(process, f"http://127.0.0.1:{port}"))
        async with aiohttp.ClientSession() as http:
            for server in running:
                try:
                    await asyncio.wait_for(healthy(http, server), 60)
                except TimeoutError:
                    await _stacks(server)
                    raise RuntimeError(f"{server.url} did not answer /healthz in 60 s") from None
        yield running
    finally:
        for server in running:
            if server.process.returncode is None:
                server.process.terminate()
        asked = time.perf_counter()
        for server in running:
            try:
                await asyncio.wait_for(server.process.wait(), 45)
            except TimeoutError:
                print(f"{server.url} did not stop in 45 s; its stacks:", file=sys.stderr)
                await _stacks(server)
        if (took := time.perf_counter() - asked) > 5:
            print(f"the server took {took:.0f} s to stop after SIGTERM", file=sys.stderr)


async def _stacks(server: Process) -> None:
    """Print what a stuck server is doing (its asyncio tasks, then its threads) and end it."""
    server.process.send_signal(signal.SIGUSR2)
    await asyncio.sleep(1)
    if server.process.returncode is None:
        server.process.send_signal(signal.SIGABRT)
    try:
        await asyncio.wait_for(server.process.wait(), 5)
    except TimeoutError:
        server.process.kill()
        await server.process.wait()


async def _subscribed(channel: str, nodes: int) -> None:
    """Until every node listens on the socket.io channel (a signal published earlier is lost)."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        async with asyncio.timeout(30):
            while True:
                ((_, count),) = await client.pubsub_numsub(channel)
                if int(count) >= nodes:
                    return
                await asyncio.sleep(0.05)
    finally:
        await client.aclose()
