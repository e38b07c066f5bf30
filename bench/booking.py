"""Booking benchmark: holds per second on distinct slots, and p95 of a 90-day slots query.

    .venv/bin/python -m bench.booking [--coaches 200] [--clients 200] [--holds 4000]
                                      [--concurrency 32] [--processes CORES] [--queries 200]
                                      [--no-redis] [--watched 0] [--imported 0] [--keep]

`BENCH_SERVE` replaces the server command, for profiling it (the `serve` arguments follow):
`BENCH_SERVE=".venv/bin/pyinstrument -o prof.txt -m realtime.cli" python -m bench.booking`.

Makes a PostgreSQL schema of its own (`bench_<random>` in BENCH_POSTGRES_URL), migrates it and
inserts N listed coaches shaped like the demo's (realtime.demo.profiles), each working weekdays
08:00-20:00 in their own zone, 15-minute slot interval, no buffers, one hour's notice, video
sessions of 30 or 60 minutes; and M clients with login sessions and signed access tokens. Then
it starts `flourish serve` (uvloop, the Redis manager and live state on BENCH_REDIS_URL unless
`--no-redis`) on loopback ports, in processes of their own, and from this process:

(a) holds: `--concurrency` requests in flight, each `POST /api/bookings` (with an
    `Idempotency-Key`, as clients send) for a distinct free 30-minute slot, coaches taken in
    turn so that concurrent holds are for different coaches; a warm-up, then `--holds` timed
    ones. Reports holds/s over the timed ones, p50/p95/max latency, and CPU per hold of the
    server processes, of PostgreSQL and Redis (all their processes on the machine) and of this
    generator; from the server-side CPU, the ceiling this hardware puts on holds/s. The
    requests take the server processes in turn: one per core by default, as
    docs/deployment.md runs them (several processes sharing PostgreSQL and Redis is how the
    server scales); `--processes 1` measures one alone.
    With `--watched F`, viewers watch a fraction F of the coaches over socket.io
    (`/availability`, 20 coaches a socket, spread over the processes) for the whole run, so a
    hold on a watched coach publishes `slots:changed` to every process; by default nobody
    watches, and holds publish nothing (only the check that nobody watches).
(b) slots: `GET /api/coaches/{id}/slots` from now to now + 90 days, one request at a time, for
    the coach with the most holds; 10 warm-up requests, then `--queries` timed ones. With
    `--imported N`, first the same without, then N one-hour busy events per coach imported
    from their own calendars (issue 15: `imported_busy` rows, as a refresh writes them) and
    the query measured again.

Prints a table and PASS/FAIL against the targets (>= 300 holds/s; slots p95 < 20 ms); exit
status 1 if either misses. The schema (and the run's Redis keys) are dropped unless `--keep`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import redis.asyncio
import socketio
from sqlalchemy import insert, text

from bench.processes import Process, cpu_seconds_of, free_port, healthy
from booking.storage.calendar_imports import ImportedBusy, ImportedCalendar
from booking.storage.schedules import ScheduleSettings
from realtime import migrate
from realtime.auth.models import AuthSession, Role, User
from realtime.auth.tokens import TokenCodec
from realtime.clock import SystemClock
from realtime.db import Database
from realtime.demo import UNUSABLE_HASH
from realtime.demo.profiles import TABLES, Rows, add_coach, draft_coach, user_row
from realtime.settings import new_master_key
from signalling.protocol import AVAILABILITY, MAX_WATCHES, SLOTS_CHANGED

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
FLOURISH = str(Path(sys.executable).parent / "flourish")
TARGET_HOLDS_PER_SECOND = 300.0
TARGET_SLOTS_P95_MS = 20.0
WARM_UP_HOLDS = 300
WARM_UP_QUERIES = 10
WEEKDAY_HOURS = tuple((day, 8 * 60, 20 * 60) for day in range(5))
SESSION_MINUTES = 30
VIEWER_ZONE = "America/New_York"


@dataclass(frozen=True)
class World:
    coaches: list[tuple[uuid.UUID, ZoneInfo]]
    tokens: list[str]


async def seed(db: Database, now: datetime, coaches: int, clients: int, secret: str) -> World:
    """Listed coaches with weekday hours and slot settings; clients with tokens."""
    rng = random.Random(2026)
    rows: Rows = {model: [] for model in TABLES}
    found = []
    for n in range(coaches):
        draft = replace(
            draft_coach(rng),
            hours=WEEKDAY_HOURS,
            offerings=(("video", rng.randrange(8_000, 16_000, 500), (30, 60)),),
        )
        email = f"coach{n}@bench.flourish.example"
        added = add_coach(rows, draft, now, email=email, password_hash=UNUSABLE_HASH)
        found.append((added.coach_id, ZoneInfo(draft.place.zone)))
    logins = []
    for n in range(clients):
        user_id, session_id = uuid.uuid4(), uuid.uuid4()
        email = f"client{n}@bench.flourish.example"
        name = f"Client {n}"
        rows[User].append(user_row(user_id, email, UNUSABLE_HASH, Role.CLIENT, name, now))
        logins.append((user_id, session_id))
    async with db.session() as session:
        for model in TABLES:
            if rows[model]:
                await session.execute(insert(model), rows[model])
        await session.execute(
            insert(ScheduleSettings),
            [
                {
                    "coach_id": coach_id,
                    "slot_interval": 15,
                    "buffer_before": 0,
                    "buffer_after": 0,
                    "min_notice": 60,
                    "max_advance_days": 90,
                }
                for coach_id, _ in found
            ],
        )
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
                for user_id, session_id in logins
            ],
        )
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    codec = TokenCodec(secret, SystemClock(), 4 * 3600)
    tokens = [
        codec.issue(user_id, Role.CLIENT.value, session_id=session_id, version=0, scope="full")[0]
        for user_id, session_id in logins
    ]
    return World(found, tokens)


async def import_busy(db: Database, world: World, now: datetime, per_coach: int) -> None:
    """`per_coach` imported busy events for every coach, one hour each on working days over the
    next 90 days (as if read from a calendar of theirs; the source is a placeholder: the
    benchmark never refreshes it)."""
    rng = random.Random(15)
    calendars, busy = [], []
    for coach_id, zone in world.coaches:
        calendar_id = uuid.uuid4()
        calendars.append(
            {
                "id": calendar_id,
                "coach_id": coach_id,
                "kind": "ical",
                "label": "Bench",
                "host": "calendar.bench.example",
                "source": b"unused",
                "status": "ok",
                "last_attempt_at": now,
                "last_success_at": now,
                "busy_count": per_coach,
                "created_at": now,
            }
        )
        for _ in range(per_coach):
            day = (now + timedelta(days=rng.randrange(1, 90))).astimezone(zone).date()
            start = datetime(day.year, day.month, day.day, rng.randrange(8, 19), tzinfo=zone)
            busy.append(
                {
                    "calendar_id": calendar_id,
                    "coach_id": coach_id,
                    "starts_at": start.astimezone(UTC),
                    "ends_at": (start + timedelta(hours=1)).astimezone(UTC),
                }
            )
    async with db.session() as session:
        await session.execute(insert(ImportedCalendar), calendars)
        await session.execute(insert(ImportedBusy), busy)
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


def free_slots(world: World, now: datetime) -> Iterator[tuple[uuid.UUID, datetime]]:
    """Distinct, non-overlapping 30-minute slots: day by day, time by time, coach by coach."""
    for days in itertools.count(1):
        for minute in range(8 * 60, 20 * 60, SESSION_MINUTES):
            for coach_id, zone in world.coaches:
                day: date = (now.astimezone(zone) + timedelta(days=days)).date()
                if day.weekday() < 5:
                    local = datetime(day.year, day.month, day.day, tzinfo=zone)
                    yield coach_id, (local + timedelta(minutes=minute)).astimezone(UTC)


@dataclass
class Holds:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    per_coach: Counter[uuid.UUID] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


async def place_holds(
    urls: Sequence[str],
    world: World,
    slots: Iterator[tuple[uuid.UUID, datetime]],
    count: int,
    concurrency: int,
    holds: Holds,
) -> None:
    """`count` holds, `concurrency` in flight, requests alternating between the servers."""
    tokens = itertools.cycle(world.tokens)
    targets = itertools.cycle(urls)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as http:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                coach_id, start = next(slots)
                body = {
                    "coach_id": str(coach_id),
                    "start": start.isoformat(),
                    "session_type": "video",
                    "duration": SESSION_MINUTES,
                }
                headers = {
                    "Authorization": f"Bearer {next(tokens)}",
                    "Idempotency-Key": secrets.token_hex(16),
                }
                started = time.perf_counter()
                url = f"{next(targets)}/api/bookings"
                async with http.post(url, json=body, headers=headers) as r:
                    answer = await r.read()
                holds.latencies_ms.append((time.perf_counter() - started) * 1000)
                holds.statuses[r.status] += 1
                if r.status == 201:
                    holds.per_coach[coach_id] += 1
                elif len(holds.failures) < 5:
                    holds.failures.append(f"{r.status} {answer[:300]!r}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def slot_queries(url: str, coach_id: uuid.UUID, queries: int) -> tuple[list[float], int, int]:
    """Latencies of the 90-day slots query, how many slots it answered, and in how many bytes."""
    now = SystemClock().now()
    params = {
        "from": now.isoformat(),
        "to": (now + timedelta(days=90)).isoformat(),
        "tz": VIEWER_ZONE,
        "session_type": "video",
        "duration": str(SESSION_MINUTES),
    }
    latencies, slots, size = [], 0, 0
    async with aiohttp.ClientSession() as http:
        for i in range(WARM_UP_QUERIES + queries):
            started = time.perf_counter()
            async with http.get(f"{url}/api/coaches/{coach_id}/slots", params=params) as r:
                raw = await r.read()
            elapsed_ms = (time.perf_counter() - started) * 1000
            if r.status != 200:
                raise RuntimeError(f"GET slots: {r.status} {raw[:300]!r}")
            if i >= WARM_UP_QUERIES:
                latencies.append(elapsed_ms)
            slots, size = len(json.loads(raw)["slots"]), len(raw)
    return latencies, slots, size


@asynccontextmanager
async def serving(environment: dict[str, str], processes: int) -> AsyncIterator[list[Process]]:
    """`flourish serve` processes on free loopback ports, once each answers /healthz."""
    servers = []
    try:
        for _ in range(processes):
            port = free_port()
            process = await asyncio.create_subprocess_exec(
                *(os.environ.get("BENCH_SERVE", FLOURISH).split()),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                env={**os.environ, **environment},
                stdout=asyncio.subprocess.DEVNULL,
            )
            servers.append(Process(process, f"http://127.0.0.1:{port}"))
        async with aiohttp.ClientSession() as http:
            for server in servers:
                await asyncio.wait_for(healthy(http, server), 60)
        yield servers
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            await asyncio.wait_for(server.process.wait(), 30)


def _p(values: Sequence[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(args: argparse.Namespace) -> bool:
    schema = f"bench_{secrets.token_hex(4)}"
    prefix = f"bench:{schema}:"
    secret = secrets.token_urlsafe(48)
    db = Database(POSTGRES_URL, schema=schema)
    try:
        await migrate.upgrade(db)
        now = SystemClock().now()
        world = await seed(db, now, args.coaches, args.clients, secret)
        environment = {
            "DATABASE_URL": POSTGRES_URL,
            "DATABASE_SCHEMA": schema,
            "SECRET_KEY": secret,
            # One master key for every process: each would otherwise make its own under var/.
            "MASTER_KEYS": new_master_key("bench"),
            "AUTO_MIGRATE": "false",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": "" if args.no_redis else REDIS_URL,
            "REDIS_PREFIX": prefix,
            # One connection per request in flight, so the pool never opens and closes any.
            "DATABASE_POOL_SIZE": str(args.concurrency),
            # Each client holds many slots, of the same coaches too, from one address (127.0.0.1),
            # and nobody pays: the caps, the cooldown and the rate limits are all still checked
            # on every hold (their cost is in the numbers), set so that none refuses one.
            "HOLD_LIMIT": "1000000",
            "HOLD_LIMIT_PER_COACH": "1000000",
            "HOLD_LAPSES": "1000000",
            "HOLD_ATTEMPTS_PER_ACCOUNT": "10000000",
            "HOLD_ATTEMPTS_PER_ADDRESS": "10000000",
            "SOCKETS_PER_ADDRESS": "1000000",
            "SOCKET_EVENT_RATE": "100000",
        }
        slots = free_slots(world, now)
        async with (
            serving(environment, args.processes) as servers,
            watching([server.url for server in servers], world, args.watched) as told,
        ):
            urls = [server.url for server in servers]
            await place_holds(urls, world, slots, WARM_UP_HOLDS, args.concurrency, Holds())
            holds = Holds()
            cpu_before = sum(server.cpu_seconds() for server in servers)
            services_before = services_cpu()
            own_before = time.process_time()
            started = time.perf_counter()
            await place_holds(urls, world, slots, args.holds, args.concurrency, holds)
            elapsed = time.perf_counter() - started
            server_cpu = sum(server.cpu_seconds() for server in servers) - cpu_before
            services_used = services_cpu() - services_before
            own_cpu = time.process_time() - own_before
            busiest, booked = holds.per_coach.most_common(1)[0]
            try:
                if args.imported:
                    # the baseline: the same query, same coach, same run, before the import
                    base, base_slots, _ = await slot_queries(urls[0], busiest, args.queries)
                    await import_busy(db, world, now, args.imported)
                    print(
                        f"slots query without imported busy time (baseline): {base_slots} slots, "
                        f"p95 {_p(base, 95):.1f} ms; with {args.imported} imported busy events "
                        "per coach: the table below"
                    )
                latencies, answered, size = await slot_queries(urls[0], busiest, args.queries)
            except RuntimeError as exc:
                print(f"slots query not measured: {exc}")
                latencies, answered, size = [], 0, 0
        slot_result = SlotResult(latencies, answered, size, booked)
        cpu = Cpu(server=server_cpu, services=services_used, generator=own_cpu)
        return report(args, holds, elapsed, cpu, slot_result, told)
    finally:
        if args.keep:
            print(f"\nschema {schema} kept")
        else:
            async with db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not args.no_redis:
                client = redis.asyncio.Redis.from_url(REDIS_URL)
                keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
                if keys:
                    await client.delete(*keys)
                await client.aclose()
        await db.close()


@asynccontextmanager
async def watching(urls: list[str], world: World, fraction: float) -> AsyncIterator[Counter[str]]:
    """Viewers watching `fraction` of the coaches; yields the count of changes they are told."""
    told: Counter[str] = Counter()
    watched = [str(coach) for coach, _ in world.coaches[: round(len(world.coaches) * fraction)]]
    viewers: list[socketio.AsyncClient] = []
    try:
        for n, start in enumerate(range(0, len(watched), MAX_WATCHES)):
            viewer = socketio.AsyncClient(reconnection=False)

            @viewer.on(SLOTS_CHANGED, namespace=AVAILABILITY)  # type: ignore[untyped-decorator]
            async def changed(payload: dict[str, str]) -> None:
                told[payload["reason"]] += 1

            await viewer.connect(
                urls[n % len(urls)], namespaces=[AVAILABILITY], transports=["websocket"]
            )
            viewers.append(viewer)
            for coach in watched[start : start + MAX_WATCHES]:
                answer = await viewer.call("watch", {"coach_id": coach}, namespace=AVAILABILITY)
                if answer != {"ok": True}:
                    raise RuntimeError(f"watch refused: {answer}")
        yield told
        # Let the last changes reach the viewers: until none came for a moment (at most 5 s).
        for _ in range(50):
            seen = sum(told.values())
            await asyncio.sleep(0.1)
            if sum(told.values()) == seen:
                break
    finally:
        for viewer in viewers:
            await viewer.disconnect()


@dataclass(frozen=True)
class SlotResult:
    latencies_ms: list[float]
    slots: int
    size: int
    holds_on_coach: int


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used during the timed holds."""

    server: float
    services: float  # PostgreSQL and Redis (every process of theirs on this machine)
    generator: float


def services_cpu() -> float:
    """CPU seconds so far of every PostgreSQL and Redis process on this machine."""
    return cpu_seconds_of(("postgres", "redis-server"))


def report(
    args: argparse.Namespace,
    holds: Holds,
    elapsed: float,
    cpu: Cpu,
    slots: SlotResult,
    told: Counter[str],
) -> bool:
    placed = holds.statuses[201]
    rate = placed / elapsed
    state = "in-process live state" if args.no_redis else "Redis manager and live state"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{args.coaches} coaches, {args.clients} clients; {args.processes} server "
          f"process(es) ({state}); {args.concurrency} holds in flight; {WARM_UP_HOLDS} warm-up "
          f"holds, then {args.holds} timed. Load average at the end: {load} on "
          f"{os.cpu_count()} cores.\n")  # fmt: skip
    print("| measure | value |\n|---|---:|")
    print(f"| holds placed (201) | {placed} of {sum(holds.statuses.values())} |")
    watched = round(args.coaches * args.watched)
    print(f"| coaches watched; changes viewers were told | {watched}; {sum(told.values())} |")
    print(f"| holds/s | {rate:.0f} |")
    lat = holds.latencies_ms
    print(f"| hold latency p50 / p95 / max ms | {statistics.median(lat):.1f} / {_p(lat, 95):.1f}"
          f" / {max(lat):.1f} |")  # fmt: skip
    per_hold = {
        "server": cpu.server / max(placed, 1) * 1000,
        "PostgreSQL + Redis": cpu.services / max(placed, 1) * 1000,
        "generator": cpu.generator / max(placed, 1) * 1000,
    }
    for part, ms in per_hold.items():
        print(f"| {part} CPU per hold ms | {ms:.2f} |")
    # What the server side (server + database + Redis) could sustain with every core of this
    # machine to itself: a ceiling for this hardware, not a measurement of throughput.
    server_side = per_hold["server"] + per_hold["PostgreSQL + Redis"]
    cores = os.cpu_count() or 1
    print(f"| CPU-bound ceiling on {cores} cores (server side only), holds/s | "
          f"{cores * 1000 / server_side:.0f} |")  # fmt: skip
    latencies = slots.latencies_ms
    if latencies:
        print(f"| slots query (90 days, {slots.holds_on_coach} holds on the coach): slots, "
              f"bytes | {slots.slots}, {slots.size:,} |")  # fmt: skip
        print(f"| slots query p50 / p95 / max ms | {statistics.median(latencies):.1f} / "
              f"{_p(latencies, 95):.1f} / {max(latencies):.1f} |")  # fmt: skip
    for failure in holds.failures:
        print(f"\nrefused: {failure}")
    holds_pass = rate >= TARGET_HOLDS_PER_SECOND and placed == args.holds
    verdict = "PASS" if holds_pass else "FAIL"
    print(f"\n{verdict}: {rate:.0f} holds/s on distinct slots ({placed} of {args.holds} "
          f"placed); target >= {TARGET_HOLDS_PER_SECOND:.0f}")  # fmt: skip
    if latencies:
        p95 = _p(latencies, 95)
        slots_pass = p95 < TARGET_SLOTS_P95_MS
        print(f"{'PASS' if slots_pass else 'FAIL'}: slots p95 {p95:.1f} ms over 90 days; "
              f"target < {TARGET_SLOTS_P95_MS:.0f} ms")  # fmt: skip
    else:
        slots_pass = False
        print("FAIL: slots query not measured (GET /api/coaches/{id}/slots did not answer 200)")
    return holds_pass and slots_pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.booking",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--coaches", type=int, default=200)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--holds", type=int, default=4000, help="timed holds")
    parser.add_argument("--concurrency", type=int, default=32, help="holds in flight")
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="server processes (default: one per core, as docs/deployment.md runs them)",
    )
    parser.add_argument("--queries", type=int, default=200, help="timed slots queries")
    parser.add_argument("--no-redis", action="store_true", help="serve without Redis")
    parser.add_argument(
        "--imported",
        type=int,
        default=0,
        help="imported busy events per coach for the slots query (its baseline without them "
        "measured first, in the same run)",
    )
    parser.add_argument(
        "--watched", type=float, default=0.0, help="fraction of coaches viewers watch (0-1)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=_event_loop) as runner:
        passed = runner.run(run(args))
    return 0 if passed else 1


def _event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


if __name__ == "__main__":
    sys.exit(main())
