"""Directory benchmark: N coaches on PostgreSQL, GET /api/coaches over HTTP, p50/p95 per query.

    .venv/bin/python -m bench.directory [--coaches 100000] [--queries 200] [--explain]
                                        [--keep | --schema bench_xxxxxxxx]

Makes a schema of its own (`bench_<random>`) in the test database (BENCH_POSTGRES_URL), migrates
it, bulk-loads N verified coaches shaped like the demo's (realtime.demo.profiles) with COPY,
runs VACUUM ANALYZE, then serves the real app (uvloop, in-process live state) on a loopback
socket and asks it for directory pages with 0, 1, 3 and 5 filters combined under each sort,
with random values.
Each row of the report (filters x sort) is warmed up, then timed one request at a time from send
to last byte; the app's SQL for each request is timed at the driver too. Prints a Markdown table
and PASS when every row's p95 is under the target (50 ms), else FAIL and exit status 1.

`--explain` prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each row that missed.
The schema is dropped at the end unless `--keep`; `--schema` measures a kept one again, so an
index can be tried without seeding anew.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import Connection, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.coaches import load
from booking.storage import reference
from realtime import migrate
from realtime.app import SERVICES, create_app
from realtime.clock import SystemClock
from realtime.db import Database
from realtime.settings import Settings

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TARGET_P95_MS = 50.0
WARM_UP = 10
SORTS = ("relevance", "rating", "price")
SPECIALTIES = [slug for slug, _ in reference.SPECIALTIES]
LANGUAGES = ["en", "en", "es", "fr", "de", "hi", "pt-BR", "zh-Hans", "ar", "ja", "pt"]
SESSION_TYPES = ["video", "video", "phone", "chat"]
CLIENT_ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Kolkata"]
Params = list[tuple[str, str]]


def specialty(rng: random.Random) -> Params:
    return [("specialty", rng.choice(SPECIALTIES))]


def language(rng: random.Random) -> Params:
    return [("language", rng.choice(LANGUAGES))]


def session_type(rng: random.Random) -> Params:
    return [("session_type", rng.choice(SESSION_TYPES))]


def price(rng: random.Random) -> Params:
    """A session type and an hourly-rate range in it (the price filter needs its type)."""
    low = rng.randrange(6_000, 16_000, 500)
    return [
        ("session_type", rng.choice(SESSION_TYPES)),
        ("min_price", str(low)),
        ("max_price", str(low + rng.randrange(3_000, 10_000, 500))),
    ]


def min_rating(rng: random.Random) -> Params:
    return [("min_rating", rng.choice(("4", "4.5", "4.8")))]


def available(rng: random.Random) -> Params:
    """A 1-3 hour window starting on the hour within the next two weeks, in a client's zone."""
    zone = ZoneInfo(rng.choice(CLIENT_ZONES))
    day = SystemClock().now().astimezone(zone).date() + timedelta(days=rng.randint(1, 14))
    start = datetime(day.year, day.month, day.day, rng.randint(7, 21), tzinfo=zone)
    end = start + timedelta(hours=rng.randint(1, 3))
    return [("available_from", start.isoformat()), ("available_to", end.isoformat())]


@dataclass(frozen=True)
class Combination:
    name: str
    filters: int
    parts: tuple[Callable[[random.Random], Params], ...]

    def params(self, rng: random.Random, sort: str) -> Params:
        found = [("sort", sort)]
        for part in self.parts:
            found += part(rng)
        return found


COMBINATIONS = (
    Combination("none", 0, ()),
    Combination("specialty", 1, (specialty,)),
    Combination("language", 1, (language,)),
    Combination("min_rating", 1, (min_rating,)),
    Combination("availability", 1, (available,)),
    Combination("specialty+type+price", 3, (specialty, price)),
    Combination("language+min_rating+specialty", 3, (language, min_rating, specialty)),
    Combination("language+type+availability", 3, (language, session_type, available)),
    Combination(
        "specialty+language+type+price+min_rating", 5, (specialty, language, price, min_rating)
    ),
    Combination(
        "specialty+language+type+min_rating+availability",
        5,
        (specialty, language, session_type, min_rating, available),
    ),
    Combination(
        "specialty+type+price+min_rating+availability", 5, (specialty, price, min_rating, available)
    ),
)


class Statement(NamedTuple):
    elapsed_ms: float
    sql: str
    parameters: tuple[Any, ...]


@dataclass
class Cell:
    """One row of the report: a combination of filters under one sort."""

    combination: Combination
    sort: str
    latencies_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    slowest: Statement | None = None

    def add(self, elapsed_ms: float, rows: int, statements: list[Statement]) -> None:
        self.latencies_ms.append(elapsed_ms)
        self.rows.append(rows)
        self.sql_ms.append(sum(s.elapsed_ms for s in statements))
        for statement in statements:
            if self.slowest is None or statement.elapsed_ms > self.slowest.elapsed_ms:
                self.slowest = statement

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=20, method="inclusive")[18]


class Statements:
    """The SQL the app runs for the request in flight, each statement timed at the driver."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.current: list[Statement] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Connection, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(
        self, conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        elapsed_ms = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        self.current.append(Statement(elapsed_ms, statement, tuple(parameters or ())))


async def measure(base_url: str, statements: Statements, queries: int) -> list[Cell]:
    rng = random.Random(7)
    cells = []
    async with aiohttp.ClientSession() as http:
        for combination in COMBINATIONS:
            for sort in SORTS:
                cell = Cell(combination, sort)
                for i in range(WARM_UP + queries):
                    params = combination.params(rng, sort)
                    statements.current = []
                    started = time.perf_counter()
                    async with http.get(f"{base_url}/api/coaches", params=params) as response:
                        body = await response.read()
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    if response.status != 200:
                        raise SystemExit(f"GET /api/coaches {params}: {response.status} {body!r}")
                    if i >= WARM_UP:
                        cell.add(elapsed_ms, len(json.loads(body)["items"]), statements.current)
                cells.append(cell)
    return cells


def report(cells: Sequence[Cell], coaches: int, seed_seconds: float | None, queries: int) -> bool:
    seeded = f"seeded in {seed_seconds:.1f} s (COPY + VACUUM ANALYZE)" if seed_seconds else "reused"
    print(f"\n{coaches:,} coaches {seeded}; {queries} timed requests per row after {WARM_UP} "
          "warm-up, one at a time. SQL: the app's statements for one request, timed at the "
          "driver; the rest of a request is HTTP, validation and JSON in the app.\n")  # fmt: skip
    print("| filters | combination | sort | p50 ms | p95 ms | max ms | SQL p50 ms | rows | empty |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
    for cell in cells:
        lat = cell.latencies_ms
        print(
            f"| {cell.combination.filters} | {cell.combination.name} | {cell.sort} "
            f"| {statistics.median(lat):.1f} | {cell.p95:.1f} | {max(lat):.1f} "
            f"| {statistics.median(cell.sql_ms):.1f} | {statistics.median(cell.rows):.0f} "
            f"| {sum(1 for n in cell.rows if n == 0) / len(cell.rows):.0%} |"
        )
    missed = [cell for cell in cells if cell.p95 >= TARGET_P95_MS]
    worst = max(cells, key=lambda cell: cell.p95)
    print(f"\n{'FAIL' if missed else 'PASS'}: worst p95 {worst.p95:.1f} ms "
          f"({worst.combination.name}, sort {worst.sort}); target p95 < {TARGET_P95_MS:.0f} ms "
          f"in every row; {len(missed)} of {len(cells)} rows missed")  # fmt: skip
    return not missed


async def explain(db: Database, cells: Sequence[Cell], modes: Sequence[str]) -> None:
    """EXPLAIN ANALYZE the slowest statement of each row that missed the target, under each
    plan_cache_mode given: the custom plan for these values and, where the app's connections
    leave the mode `auto`, the generic plan its prepared statements switch to after five runs."""
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        for cell in cells:
            if cell.p95 < TARGET_P95_MS or cell.slowest is None:
                continue
            slowest = cell.slowest
            print(f"\n### {cell.combination.name}, sort {cell.sort}: p95 {cell.p95:.1f} ms; "
                  f"slowest statement {slowest.elapsed_ms:.1f} ms\n")  # fmt: skip
            print(f"```sql\n{slowest.sql}\n-- parameters: {slowest.parameters!r}\n```")
            # EXPLAIN plans the query inside it with the values bound, so a generic plan shows
            # only through a prepared statement, EXPLAIN EXECUTE, which takes literals.
            await driver.execute(f"PREPARE bench_slowest AS {slowest.sql}")
            arguments = ", ".join(_literal(value) for value in slowest.parameters)
            for mode in modes:
                await driver.execute(f"SET plan_cache_mode = {mode}")
                plan = await driver.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_slowest({arguments})"
                )
                print(f"\n{mode}:\n```text\n" + "\n".join(row[0] for row in plan) + "\n```")
            await driver.execute("DEALLOCATE bench_slowest")
            await driver.execute("RESET plan_cache_mode")


def _literal(value: object) -> str:
    """A bound value as an SQL literal (its type comes from the prepared statement's casts)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def run(coaches: int, queries: int, *, schema: str | None, keep: bool, plans: bool) -> bool:
    reuse = schema is not None
    schema = schema or f"bench_{secrets.token_hex(4)}"
    db = Database(POSTGRES_URL, schema=schema)
    try:
        seed_seconds = None
        if not reuse:
            await migrate.upgrade(db)
            started = time.perf_counter()
            await load(db, schema, coaches, SystemClock().now())
            seed_seconds = time.perf_counter() - started
        async with db.engine.connect() as conn:
            coaches = (await conn.execute(text("SELECT count(*) FROM coaches"))).scalar_one()
        settings = Settings(
            database_url=POSTGRES_URL,
            database_schema=schema,
            auto_migrate=False,
            secret_key=secrets.token_urlsafe(48),
            master_keys=(("bench", secrets.token_bytes(32)),),
            master_key_id="bench",
            log_level="WARNING",
            log_format="text",
        )
        app = create_app(settings)
        async with TestServer(app, host="127.0.0.1") as server:
            engine = app[SERVICES].db.engine
            statements = Statements(engine)
            cells = await measure(str(server.make_url("/")).rstrip("/"), statements, queries)
            async with engine.connect() as conn:
                app_mode = (await conn.execute(text("SHOW plan_cache_mode"))).scalar_one()
        passed = report(cells, coaches, seed_seconds, queries)
        print(f"\nThe app's connections run with plan_cache_mode = {app_mode}.")
        if plans:
            modes = ["force_custom_plan"]
            if app_mode != "force_custom_plan":
                modes.append("force_generic_plan")
            await explain(db, cells, modes)
        return passed
    finally:
        if keep or reuse:
            print(f"\nschema {schema} kept: --schema {schema} measures it again")
        else:
            async with db.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.directory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--coaches", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed requests per row")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE rows that miss")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--schema", help="measure this kept schema instead of seeding one")
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=_event_loop) as runner:
        passed = runner.run(
            run(args.coaches, args.queries, schema=args.schema, keep=args.keep, plans=args.explain)
        )
    return 0 if passed else 1


def _event_loop() -> asyncio.AbstractEventLoop:
    """The loop `flourish serve` runs on: uvloop where it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


if __name__ == "__main__":
    sys.exit(main())
