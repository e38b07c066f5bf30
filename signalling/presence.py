"""Who is in which session room, shared by every server process.

A room is one hash per booking, `session:room:<booking id>`, a field per participant (user id)
holding a `Member`: their stable `peer_id`, role, name, the socket that holds the place and the
node (server process) it is on, or `away_since` while the socket is gone and the grace period
runs. Each node writes its own heartbeat (`session:nodes`, node → unix time) every few seconds;
a member whose node has not beaten for the grace period is gone (the node crashed), so a crash
costs the other side at most the grace period. Every change that depends on what a member was
(leaving, going away, being declared gone) is a compare-and-set on the member's stored JSON, so
two nodes racing on one place cannot both win; joining swaps unconditionally (the newest socket
takes the place).

Who is online (has a `/session` socket: a coach with the app open) is a marker per user naming
the node, refreshed by that node's heartbeat and expiring after the grace period, so the
directory can show coaches online without asking every node.

`RedisPresence` keeps this in Redis under `REDIS_PREFIX`; `MemoryPresence` keeps the same in one
process for the embedded default. Both are driven by the same code (signalling/session.py).
Times are unix seconds from the injected clock's `now()`, so tests move them by hand; Redis
expiry (the room hash lives until the session's end plus the grace period, set as a relative
TTL) is only garbage collection.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

import orjson
import redis.asyncio as aioredis

from realtime.clock import Clock
from realtime.live import redis_client


@dataclass(frozen=True)
class Member:
    user_id: str
    peer_id: str
    role: str
    display_name: str
    sid: str | None  # None while away
    node: str
    away_since: float | None = None
    via: str = "web"  # "phone": a dial-in call's bridge (media.bridge)
    # The stored JSON this was read from, for compare-and-set; not part of the value.
    raw: str = field(default="", compare=False, repr=False)

    def encode(self) -> str:
        fields = asdict(self)
        del fields["raw"]
        return orjson.dumps(fields).decode()

    @classmethod
    def decode(cls, raw: str | bytes) -> Member:
        text = _text(raw)
        return cls(**orjson.loads(text), raw=text)

    def away(self, now: float) -> Member:
        return replace(self, sid=None, away_since=now, raw="")

    def gone(self, nodes: dict[str, float], now: float, grace: float) -> bool:
        """Away for longer than the grace period, or held by a node that stopped beating."""
        if self.away_since is not None:
            return now - self.away_since >= grace
        return now - nodes.get(self.node, 0.0) >= grace


class Presence(Protocol):
    async def members(self, room: str) -> dict[str, Member]:
        """Everyone in the room, by user id."""

    async def everyone(self, rooms: list[str]) -> dict[str, dict[str, Member]]:
        """`members` of several rooms in one round trip (the heartbeat's sweep)."""

    async def swap(self, room: str, member: Member, ttl: float) -> Member | None:
        """Put `member` in their place (the room kept `ttl` seconds more); the one before."""

    async def replace(self, room: str, expected: Member, new: Member | None) -> bool:
        """Replace (or, with None, remove) `expected` if the place still holds it exactly."""

    async def beat(self, node: str, now: float) -> None:
        """This node is alive at `now`."""

    async def nodes(self) -> dict[str, float]:
        """Every node's last heartbeat."""

    async def forget_node(self, node: str) -> None: ...

    async def mark_online(self, node: str, users: set[str], now: float, ttl: float) -> None:
        """These users have a `/session` socket on `node`, for `ttl` seconds more."""

    async def mark_offline(self, node: str, user: str) -> None:
        """The user's last socket on `node` is gone (another node may still hold one)."""

    async def online(self, users: list[str], now: float) -> set[str]:
        """Those of `users` with a `/session` socket on some node."""

    async def close(self) -> None: ...


# KEYS[1] room; ARGV: field, expected JSON, new JSON ("" removes). 1 if replaced.
_REPLACE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
  else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
  return 1
end
return 0
"""


# KEYS[1] a user's online marker; ARGV[1] the node letting go. Only that node's marker goes.
_OFFLINE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisPresence:
    def __init__(self, url: str, prefix: str) -> None:
        self.redis: aioredis.Redis = redis_client(url)
        self.prefix = f"{prefix}session:"
        self._replace = self.redis.register_script(_REPLACE)
        self._offline = self.redis.register_script(_OFFLINE)

    def _room(self, room: str) -> str:
        return f"{self.prefix}room:{room}"

    async def members(self, room: str) -> dict[str, Member]:
        stored = await self.redis.hgetall(self._room(room))
        return {_text(user): Member.decode(raw) for user, raw in stored.items()}

    async def everyone(self, rooms: list[str]) -> dict[str, dict[str, Member]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.hgetall(self._room(room))
            stored = await pipe.execute()
        return {
            room: {_text(user): Member.decode(raw) for user, raw in places.items()}
            for room, places in zip(rooms, stored, strict=True)
        }

    async def swap(self, room: str, member: Member, ttl: float) -> Member | None:
        key = self._room(room)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hget(key, member.user_id)
            pipe.hset(key, member.user_id, member.encode())
            pipe.expire(key, max(int(ttl) + 1, 1))
            before, _, _ = await pipe.execute()
        return None if before is None else Member.decode(before)

    async def replace(self, room: str, expected: Member, new: Member | None) -> bool:
        was = expected.raw or expected.encode()
        args = [expected.user_id, was, "" if new is None else new.encode()]
        return bool(await self._replace(keys=[self._room(room)], args=args))

    async def beat(self, node: str, now: float) -> None:
        await self.redis.hset(f"{self.prefix}nodes", node, repr(now))

    async def nodes(self) -> dict[str, float]:
        stored = await self.redis.hgetall(f"{self.prefix}nodes")
        return {_text(node): float(at) for node, at in stored.items()}

    async def forget_node(self, node: str) -> None:
        await self.redis.hdel(f"{self.prefix}nodes", node)

    async def mark_online(self, node: str, users: set[str], now: float, ttl: float) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for user in users:
                pipe.set(f"{self.prefix}online:{user}", node, ex=max(int(ttl), 1))
            await pipe.execute()

    async def mark_offline(self, node: str, user: str) -> None:
        await self._offline(keys=[f"{self.prefix}online:{user}"], args=[node])

    async def online(self, users: list[str], now: float) -> set[str]:
        if not users:
            return set()
        found = await self.redis.mget([f"{self.prefix}online:{user}" for user in users])
        return {user for user, node in zip(users, found, strict=True) if node is not None}

    async def close(self) -> None:
        await self.redis.aclose()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class MemoryPresence:
    """The same in one process (no Redis). A room goes when its last member is removed; the
    session's own timers always run here, so none is left behind."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, str]] = {}
        self.beats: dict[str, float] = {}
        self.markers: dict[str, tuple[str, float]] = {}  # user -> (node, until)

    async def members(self, room: str) -> dict[str, Member]:
        return {user: Member.decode(raw) for user, raw in self.rooms.get(room, {}).items()}

    async def everyone(self, rooms: list[str]) -> dict[str, dict[str, Member]]:
        return {room: await self.members(room) for room in rooms}

    async def swap(self, room: str, member: Member, ttl: float) -> Member | None:
        places = self.rooms.setdefault(room, {})
        before = places.get(member.user_id)
        places[member.user_id] = member.encode()
        return None if before is None else Member.decode(before)

    async def replace(self, room: str, expected: Member, new: Member | None) -> bool:
        places = self.rooms.get(room, {})
        if places.get(expected.user_id) != (expected.raw or expected.encode()):
            return False
        if new is None:
            del places[expected.user_id]
            if not places:  # the last one out: the room goes, as its Redis hash would
                self.rooms.pop(room, None)
        else:
            places[expected.user_id] = new.encode()
        return True

    async def beat(self, node: str, now: float) -> None:
        self.beats[node] = now

    async def nodes(self) -> dict[str, float]:
        return dict(self.beats)

    async def forget_node(self, node: str) -> None:
        self.beats.pop(node, None)

    async def mark_online(self, node: str, users: set[str], now: float, ttl: float) -> None:
        for user in users:
            self.markers[user] = (node, now + ttl)

    async def mark_offline(self, node: str, user: str) -> None:
        if self.markers.get(user, ("", 0.0))[0] == node:
            del self.markers[user]

    async def online(self, users: list[str], now: float) -> set[str]:
        return {user for user in users if self.markers.get(user, ("", 0.0))[1] > now}

    async def close(self) -> None:
        self.rooms.clear()


class OnlineCoaches:
    """`booking.services.coaches.OnlineStatus` over presence: who has a `/session` socket."""

    def __init__(self, presence: Presence, clock: Clock) -> None:
        self.presence = presence
        self.clock = clock

    async def online(self, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        found = await self.presence.online([str(u) for u in user_ids], self.clock.now().timestamp())
        return {u for u in user_ids if str(u) in found}
