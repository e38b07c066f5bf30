"""Durable, cluster-wide one-shot timers: due times kept in Redis and fired by one process at a
time, under a short lease (in process on the embedded default).

A timer is a member of the sorted set `<prefix>timers:due` scored by its due time (unix ms).
A booking's timers are planned together (`plan`): the hash `<prefix>timers:plans` keeps the
members each booking has now, so planning it again with other times (a reschedule) removes
the old ones and `drop` (a cancel) removes them all, each in one Lua script.

One process leads: it holds `<prefix>timers:lease` (`SET NX PX`, `LEASE_MS`) and renews it
every `RENEW_EVERY` seconds by a compare-and-renew script; the others try to take it as often,
so when the leader dies (SIGKILL: no goodbye) another leads within `LEASE_MS` plus one try.
The leader claims what is due every `TICK` seconds with a script that first checks it still
holds the lease (a process that lost it claims nothing) and moves each due member from `due`
to `<prefix>timers:fired` (scored by when it was claimed): the claim is the removal, so a
timer fires at most once, and a member that fired is never planned again. A leader that dies
between a claim and its delivery loses those timers (a few milliseconds' window, against a
double firing). `fired` is trimmed of entries claimed more than `FIRED_KEPT_MS` ago when
timers are planned.

Why not arq or saq: both hand a job to one worker and give it to another only when its
timeout passes (arq's `job_timeout`, saq's `timeout` plus its sweep), so a killed worker's
timer would fire that much late; a hard stop must fire within 2 s of its due time whoever
dies. A lease of one second and a claim by removal are a few lines of Lua on the Redis the
cluster already shares (docs/architecture.md).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from realtime.clock import Clock
from realtime.live import redis_client
from realtime.tasks import running

log = logging.getLogger(__name__)

LEASE_MS = 1000
RENEW_EVERY = 0.3
TICK = 0.05
CLAIM_BATCH = 500
PLAN_AFTER_TAKING_OVER = 2.0  # seconds
FIRED_KEPT_MS = 3 * 3600 * 1000


@dataclass(frozen=True)
class Due:
    """One timer: `name` (unique per booking, e.g. `w300|<ends ms>`) of `booking`, due at
    `due_ms` (unix ms)."""

    booking: str
    name: str
    due_ms: int

    @property
    def member(self) -> str:
        return f"{self.booking}|{self.name}"

    @classmethod
    def parse(cls, member: str, due_ms: float) -> Due:
        booking, _, name = member.partition("|")
        return cls(booking, name, int(due_ms))


class Store(Protocol):
    async def lead(self, token: str) -> bool:
        """Take or renew the lease; whether this token holds it now."""

    async def resign(self, token: str) -> None:
        """Give the lease up (a clean stop), so another process leads at once."""

    async def plan(self, booking: str, timers: list[Due], now_ms: int) -> None:
        """Make `timers` the booking's (replacing others); fired members stay fired."""

    async def drop(self, booking: str) -> None:
        """Remove every timer of the booking still to fire."""

    async def claim(self, token: str, now_ms: int, limit: int) -> list[Due] | None:
        """Take the timers due by `now_ms` (removed: nobody fires them again); None when
        `token` does not hold the lease."""

    async def pending(self) -> int:
        """How many timers are still to fire (every booking's)."""

    async def close(self) -> None: ...


class MemoryStore:
    """One process, always leading (the embedded default)."""

    def __init__(self) -> None:
        self.due: dict[str, int] = {}
        self.fired: dict[str, int] = {}
        self.plans: dict[str, list[str]] = {}

    async def lead(self, token: str) -> bool:
        return True

    async def resign(self, token: str) -> None:
        return None

    async def plan(self, booking: str, timers: list[Due], now_ms: int) -> None:
        if self.plans.get(booking) == [t.member for t in timers]:
            return
        await self.drop(booking)
        self.fired = {m: t for m, t in self.fired.items() if t >= now_ms - FIRED_KEPT_MS}
        fresh = [t for t in timers if t.member not in self.fired]
        for timer in fresh:
            self.due[timer.member] = timer.due_ms
        if fresh:
            self.plans[booking] = [t.member for t in timers]

    async def drop(self, booking: str) -> None:
        for member in self.plans.pop(booking, []):
            self.due.pop(member, None)

    async def claim(self, token: str, now_ms: int, limit: int) -> list[Due] | None:
        ready = sorted((t, m) for m, t in self.due.items() if t <= now_ms)[:limit]
        for _, member in ready:
            del self.due[member]
            self.fired[member] = now_ms
        return [Due.parse(member, due_ms) for due_ms, member in ready]

    async def pending(self) -> int:
        return len(self.due)

    async def close(self) -> None:
        return None


LEAD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

RESIGN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: due, fired, plans. ARGV: booking, now ms, kept ms, then member, score pairs.
PLAN = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
local members = {}
for i = 4, #ARGV, 2 do table.insert(members, ARGV[i]) end
local plan = table.concat(members, ',')
local old = redis.call('HGET', KEYS[3], ARGV[1])
if old == plan then return 0 end  -- planned so already: the planning pass's usual case
if old then
  for member in string.gmatch(old, '[^,]+') do redis.call('ZREM', KEYS[1], member) end
  redis.call('HDEL', KEYS[3], ARGV[1])
end
local fresh = 0
for i = 4, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    fresh = fresh + 1
  end
end
if fresh > 0 then redis.call('HSET', KEYS[3], ARGV[1], plan) end
return fresh
"""

DROP = """
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  for member in string.gmatch(old, '[^,]+') do redis.call('ZREM', KEYS[1], member) end
  redis.call('HDEL', KEYS[2], ARGV[1])
end
return 0
"""

# KEYS: lease, due, fired, plans. ARGV: token, now ms, limit.
CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local ready = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0,
  ARGV[3])
for i = 1, #ready, 2 do
  redis.call('ZREM', KEYS[2], ready[i])
  redis.call('ZADD', KEYS[3], ARGV[2], ready[i])
  local booking, name = string.match(ready[i], '^([^|]+)|(end)|')
  if name then redis.call('HDEL', KEYS[4], booking) end
end
return ready
"""


class RedisStore:
    """Every process of a deployment, sharing the timers under `<prefix>timers:`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis: aioredis.Redis = redis_client(url)
        base = f"{prefix}timers:"
        self.lease, self.due, self.fired, self.plans = (
            f"{base}lease",
            f"{base}due",
            f"{base}fired",
            f"{base}plans",
        )
        self._lead = self.redis.register_script(LEAD)
        self._resign = self.redis.register_script(RESIGN)
        self._plan = self.redis.register_script(PLAN)
        self._drop = self.redis.register_script(DROP)
        self._claim = self.redis.register_script(CLAIM)

    async def lead(self, token: str) -> bool:
        return bool(await self._lead(keys=[self.lease], args=[token, LEASE_MS]))

    async def resign(self, token: str) -> None:
        await self._resign(keys=[self.lease], args=[token])

    async def plan(self, booking: str, timers: list[Due], now_ms: int) -> None:
        pairs: list[str | int] = []
        for timer in timers:
            pairs += [timer.member, timer.due_ms]
        await self._plan(
            keys=[self.due, self.fired, self.plans], args=[booking, now_ms, FIRED_KEPT_MS, *pairs]
        )

    async def drop(self, booking: str) -> None:
        await self._drop(keys=[self.due, self.plans], args=[booking])

    async def claim(self, token: str, now_ms: int, limit: int) -> list[Due] | None:
        ready = await self._claim(
            keys=[self.lease, self.due, self.fired, self.plans], args=[token, now_ms, limit]
        )
        if ready is None:
            return None
        pairs = list(ready)
        return [Due.parse(_text(pairs[i]), float(pairs[i + 1])) for i in range(0, len(pairs), 2)]

    async def pending(self) -> int:
        return int(await self.redis.zcard(self.due))

    async def close(self) -> None:
        await self.redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


Fire = Callable[[list[Due]], Awaitable[None]]
Led = Callable[[], Awaitable[None]]


class Deadlines:
    """This process's part: try for the lease, and while leading fire what is due.

    `fire` gets each claimed batch (in due order); `led` (the planning pass) runs
    `PLAN_AFTER_TAKING_OVER` seconds after this process takes the lease, and then every
    `reconcile` seconds while it keeps it. Each
    of the three is a job of its own, so a long planning pass never delays a renewal."""

    def __init__(
        self, store: Store, clock: Clock, fire: Fire, led: Led, *, reconcile: float
    ) -> None:
        self.store = store
        self.clock = clock
        self.fire = fire
        self.led = led
        self.reconcile = reconcile
        # The process id in it lets an operator (and the takeover test) see who leads.
        self.token = f"{os.getpid()}-{uuid.uuid4().hex}"
        self.leading = False
        self.planned_at: float | None = None  # monotonic, of the last planning pass
        self.fired = 0  # timers this process fired

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        jobs = {
            "timers-lease": (RENEW_EVERY, self.keep_lease),
            "timers-fire": (TICK, self.fire_now),
            "timers-plan": (TICK, self._plan_when_due),
        }
        try:
            await self.keep_lease()
            async with running(self.clock, jobs):
                yield
        finally:
            try:
                if self.leading:
                    await self.store.resign(self.token)
            finally:
                await self.store.close()

    async def keep_lease(self) -> bool:
        """Take or renew the lease; whether this process leads now."""
        try:
            leading = await self.store.lead(self.token)
        except Exception:
            log.exception("timers: the lease could not be renewed")
            leading = False
        if leading and not self.leading:
            log.info("timers: this process leads")
            # The timers in Redis need no pass to fire: a backlog left by a dead leader goes
            # first, the pass (for changes nobody planned meanwhile) a little later.
            self.planned_at = self.clock.monotonic() - self.reconcile + PLAN_AFTER_TAKING_OVER
        elif self.leading and not leading:
            log.warning("timers: the lease went to another process")
        self.leading = leading
        return leading

    async def _plan_when_due(self) -> None:
        if not self.leading:
            return
        now = self.clock.monotonic()
        if self.planned_at is not None and now - self.planned_at < self.reconcile:
            return
        self.planned_at = now
        await self.led()

    async def fire_now(self) -> int:
        """Claim and fire everything due now (while this process leads); how many fired."""
        count = 0
        while self.leading:
            asked = self.now_ms()
            batch = await self.store.claim(self.token, asked, CLAIM_BATCH)
            if batch is None:  # the lease ran out between renewals: take it again, or stop
                if await self.keep_lease():
                    continue
                break
            if batch:
                try:
                    await self.fire(batch)
                except Exception:
                    log.exception("timers: %d timers failed to fire", len(batch))
                count += len(batch)
                self.fired += len(batch)
                continue  # more may have come due while these fired
            if self.now_ms() - asked > TICK * 1000:
                continue  # the clock moved on while we asked (a slow Redis, or a test's clock)
            break
        return count
