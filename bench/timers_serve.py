"""The session timers benchmark's `serve` runs: the same short schedule on two `flourish serve`
processes (bench/signalling_servers.py `started("ours2")`), from bookings in PostgreSQL.

`World` seeds one confirmed booking per session (a coach and a client each); their ends are
then moved into the benchmark's window, and the two nodes plan them themselves (the leader's
planning pass reads them from PostgreSQL when it takes the lease) and fire them through the
whole server path: the claim, the booking check (one query per batch), the room emit and, at
the hard stop, the room closing on every process and the `on_end` hooks. Nobody is connected:
the emits go to empty rooms. Lateness is taken from Redis: `timers:fired` holds each timer's
claim time (the emit follows within the batch's booking query). Missed: planned, never
claimed. A doubled timer cannot be seen here (a claim removes the timer: there is nothing to
claim twice); the `timers` runs count deliveries for that.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio
from sqlalchemy import bindparam, update

from bench.signalling_servers import REDIS_URL, World, started
from booking.storage.bookings import Booking

SCHEDULE_ENV = {"SESSION_WARNINGS": "6,3", "SESSION_END_GRACE": "2", "TIMER_RECONCILE": "600"}
OFFSETS = {"w6": -6000, "w3": -3000, "end": 2000}
DRAIN_MS = 30_000  # how long after the last due time a backlog may still fire (then: missed)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def now_ms() -> int:
    return int(time.time() * 1000)


async def spread_ends(world: World, spread: float, base_ms: int) -> dict[str, int]:
    """Move every seeded booking's end into [base, base + spread); booking id -> end ms."""
    rng = random.Random(13)
    ends = {b.booking_id: base_ms + rng.randrange(int(spread * 1000)) for b in world.bookings}
    rows = [
        {"b_id": uuid.UUID(booking), "e": datetime.fromtimestamp(ms / 1000, UTC)}
        for booking, ms in ends.items()
    ]
    query = (
        update(Booking)
        .where(Booking.id == bindparam("b_id"))
        .values(ends_at=bindparam("e"), blocked_to=bindparam("e"))
        .execution_options(synchronize_session=False)
    )
    async with world.db.engine.begin() as conn:
        await conn.execute(query, rows)
    return ends


async def serve_run(
    mode: str, sessions: int, spread: float, lead: float, world: World
) -> dict[str, object]:
    """One run on fresh server processes; its measures as a dict (see bench.timers.Result)."""
    base = now_ms() + int(lead * 1000)
    ends = await spread_ends(world, spread, base)
    expected = {
        f"{b}|{kind}|{e}": e + off for b, e in ends.items() for kind, off in OFFSETS.items()
    }
    killed_at: int | None = None
    cpu: list[float] = []
    async with started("ours2", 0, world, environment=SCHEDULE_ENV) as running:
        prefix = f"{world.redis_prefix}{world.runs}:"
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        try:
            if mode == "serve-kill":
                await asyncio.sleep(max(0.0, (base + spread * 500 - now_ms()) / 1000))
                holder = await client.get(f"{prefix}timers:lease")
                text = holder.decode() if isinstance(holder, bytes) else str(holder)
                victim = next(
                    p for p in running.processes if p.process.pid == int(text.split("-")[0])
                )
                cpu.append(victim.cpu_seconds())
                victim.process.send_signal(signal.SIGKILL)
                killed_at = now_ms()
            await asyncio.sleep(max(0.0, (max(expected.values()) - now_ms()) / 1000) + 3.0)
            # A leader that fell behind (a loaded machine) may still be firing: late, not lost.
            drained = now_ms() + DRAIN_MS
            while await client.zcard(f"{prefix}timers:due") and now_ms() < drained:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
            cpu += [p.cpu_seconds() for p in running.processes if p.process.returncode is None]
            rows: list[Any] = await client.zrange(f"{prefix}timers:fired", 0, -1, withscores=True)
            fired = {_text(row[0]): int(row[1]) for row in rows}
        finally:
            await client.aclose()
    late: dict[str, list[float]] = {"warning": [], "end": [], "after_kill": []}
    for member, claimed in fired.items():
        if member not in expected:
            continue
        lateness = claimed - expected[member]
        late["end" if "|end|" in member else "warning"].append(lateness)
        if killed_at is not None and 0 <= expected[member] - killed_at < 2000:
            late["after_kill"].append(lateness)
    return {
        "mode": mode,
        "sessions": sessions,
        "timers": len(expected),
        "fired": len(set(fired) & set(expected)),
        "missed": len(set(expected) - set(fired)),
        "late": late,
        "cpu_seconds": [round(c, 3) for c in cpu],
        "killed_after": None
        if killed_at is None
        else str(timedelta(milliseconds=killed_at - base)),
    }
