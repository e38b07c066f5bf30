"""Live state: counters and short-lived keys shared by every server process.

With `REDIS_URL` set, state lives in Redis under `REDIS_PREFIX`, so several processes behind a
load balancer see the same counts; without it, one process keeps the same state in memory
through the same interface (the embedded default). Later capabilities (presence, rooms) add
their operations here, on both implementations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from realtime.clock import Clock


@dataclass(frozen=True)
class Window:
    """A fixed-window counter after one more hit: the count so far and seconds until reset."""

    count: int
    resets_in: int


class LiveState(Protocol):
    async def hit(self, key: str, window: int) -> Window:
        """Count one more event under `key` in a window of `window` seconds."""

    async def hit_all(self, windows: Sequence[tuple[str, int]]) -> list[Window]:
        """`hit` for each (key, window) pair, in one round trip."""

    async def peek(self, key: str) -> Window:
        """The counter under `key` without counting."""

    async def clear(self, key: str) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


# Each Redis client of a process (live state, presence, the socket.io manager) holds at most
# this many connections, and a caller beyond them waits up to REDIS_WAIT seconds for one.
# redis-py's default asyncio pool raises `Too many connections` at once instead (at 100), which
# under a burst (hundreds of sockets joining, signalling or dropping together) lost signals and
# left disconnects unrecorded; waiting a few milliseconds for a connection is always better.
REDIS_CONNECTIONS = 50
REDIS_WAIT = 10.0


def redis_client(url: str, **options: object) -> aioredis.Redis:
    """A Redis client on a pool that waits for a free connection rather than failing."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT, **options
    )
    return aioredis.Redis.from_pool(pool)


class RedisLiveState:
    def __init__(self, url: str, prefix: str) -> None:
        self.redis: aioredis.Redis = redis_client(url, decode_responses=True)
        self.prefix = prefix

    async def hit(self, key: str, window: int) -> Window:
        return (await self.hit_all([(key, window)]))[0]

    async def hit_all(self, windows: Sequence[tuple[str, int]]) -> list[Window]:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key, window in windows:
                full = self.prefix + key
                pipe.incr(full)
                pipe.expire(full, window, nx=True)
                pipe.ttl(full)
            replies = await pipe.execute()
        return [
            Window(int(count), max(int(ttl), 0))
            for count, ttl in zip(replies[0::3], replies[2::3], strict=True)
        ]

    async def peek(self, key: str) -> Window:
        full = self.prefix + key
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(full)
            pipe.ttl(full)
            count, ttl = await pipe.execute()
        return Window(int(count or 0), max(int(ttl), 0))

    async def clear(self, key: str) -> None:
        await self.redis.delete(self.prefix + key)

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        await self.redis.aclose()


class MemoryLiveState:
    """One process's live state, timed by the injected clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.counters: dict[str, tuple[int, float]] = {}

    def _current(self, key: str) -> tuple[int, float] | None:
        entry = self.counters.get(key)
        if entry is not None and entry[1] <= self.clock.monotonic():
            del self.counters[key]
            return None
        return entry

    async def hit(self, key: str, window: int) -> Window:
        entry = self._current(key)
        count, expires = entry if entry else (0, self.clock.monotonic() + window)
        self.counters[key] = (count + 1, expires)
        return Window(count + 1, max(int(expires - self.clock.monotonic()), 0))

    async def hit_all(self, windows: Sequence[tuple[str, int]]) -> list[Window]:
        return [await self.hit(key, window) for key, window in windows]

    async def peek(self, key: str) -> Window:
        entry = self._current(key)
        if entry is None:
            return Window(0, 0)
        return Window(entry[0], max(int(entry[1] - self.clock.monotonic()), 0))

    async def clear(self, key: str) -> None:
        self.counters.pop(key, None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self.counters.clear()
