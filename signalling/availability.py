"""The `/availability` namespace: viewers of a coach's calendar are told when its slots change.

A socket `watch`es coaches (at most `MAX_WATCHES`) and so joins the room `coach:<id>` of each;
`SocketFeed`, the `CalendarFeed` the booking services call after a hold, a payment or a release
is committed, emits `slots:changed` to that room. With the Redis manager the emit reaches the
room's sockets on every server process. Anyone may watch a listed coach: the events say only
that some time of a public calendar was taken or freed, never by whom. A token is optional, but
a bad one (or one scoped to two-factor setup) is refused, so a client learns at once that it
must log in again; a socket opened with a token is disconnected when that login ends
(signalling.rights).

With several processes, every emit is published on Redis and decoded by every process, also
when no socket anywhere watches that coach, which is most of the time (a hold is the busiest
write). `Watched` marks in Redis the coaches some socket watches, and the feed skips the
publish for the others. A watcher is marked before its `watch` is answered, and a client
fetches the slots after that answer, so it misses no change made after its fetch.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
import socketio
from pydantic import ValidationError

from booking.services.coaches import Coaches
from realtime.auth.access import Authenticator
from realtime.clock import Clock
from realtime.errors import AppError, BadRequest, Code, NotFound
from realtime.http import field_errors
from realtime.live import redis_client
from signalling.acks import Ack, answers, error_ack, ok, refused
from signalling.limits import SocketLimits
from signalling.protocol import (
    AVAILABILITY,
    MAX_WATCHES,
    SLOTS_CHANGED,
    AvailabilityAuth,
    SlotsChanged,
    UnwatchIn,
    WatchIn,
    utc_iso,
)
from signalling.rights import enter_rights_rooms

log = logging.getLogger(__name__)

ROOM_PREFIX = "coach:"


# A coach's mark in Redis lapses this many seconds after the last refresh; each process refreshes
# the marks of the coaches its sockets watch every WATCH_REFRESH seconds, so the mark of a
# process that died lapses on its own (until then, changes are still published: harmless).
WATCH_TTL = 60
WATCH_REFRESH = 20

# How long a process remembers whether a coach is listed, for `watch`; and for how many coaches
# at most (past that, the lapsed answers are dropped, or all of them).
LISTED_TTL = 10.0
LISTED_CACHE_SIZE = 10_000


def coach_room(coach_id: uuid.UUID) -> str:
    return f"{ROOM_PREFIX}{coach_id}"


class Watched:
    """Which coaches some socket, on any process, watches: a key per coach under REDIS_PREFIX
    with a TTL (see the module docstring)."""

    def __init__(self, sio: socketio.AsyncServer, url: str, prefix: str) -> None:
        self.sio = sio
        self.redis: aioredis.Redis = redis_client(url)
        self.prefix = f"{prefix}watched:"

    async def mark(self, coach_id: uuid.UUID) -> None:
        await self.redis.set(f"{self.prefix}{coach_id}", 1, ex=WATCH_TTL)

    async def anyone(self, coach_id: uuid.UUID) -> bool:
        """Whether some socket may be watching the coach. One Redis round trip."""
        return bool(await self.redis.exists(f"{self.prefix}{coach_id}"))

    async def refresh(self) -> None:
        """Renew the marks of the coaches this process's sockets watch (a periodic job)."""
        rooms = self.sio.manager.rooms.get(AVAILABILITY, {})
        watched = [
            room[len(ROOM_PREFIX) :]
            for room, members in list(rooms.items())
            if isinstance(room, str) and room.startswith(ROOM_PREFIX) and members
        ]
        for start in range(0, len(watched), 500):
            async with self.redis.pipeline(transaction=False) as pipe:
                for coach in watched[start : start + 500]:
                    pipe.set(f"{self.prefix}{coach}", 1, ex=WATCH_TTL)
                await pipe.execute()

    async def close(self) -> None:
        await self.redis.aclose()


class SocketFeed:
    """`CalendarFeed` over socket.io: `slots:changed` to the coach's room, on every process;
    with `watched` (several processes on Redis), only for coaches someone watches."""

    def __init__(self, sio: socketio.AsyncServer, watched: Watched | None = None) -> None:
        self.sio = sio
        self.watched = watched

    async def slots_changed(
        self, coach_id: uuid.UUID, start: datetime, end: datetime, reason: str
    ) -> None:
        payload = SlotsChanged(
            coach_id=str(coach_id), start=utc_iso(start), end=utc_iso(end), reason=reason
        )
        try:
            if self.watched is not None and not await self.watched.anyone(coach_id):
                return
            await self.sio.emit(
                SLOTS_CHANGED, payload, room=coach_room(coach_id), namespace=AVAILABILITY
            )
        except Exception:
            # The change is committed; viewers who miss it see it on their next fetch.
            log.exception("slots:changed for coach %s not sent", coach_id)


class Availability:
    """The namespace's handlers. `register()` puts them on the server."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        authenticator: Authenticator,
        coaches: Coaches,
        limits: SocketLimits,
        clock: Clock,
        watched: Watched | None = None,
    ) -> None:
        self.sio = sio
        self.authenticator = authenticator
        self.coaches = coaches
        self.limits = limits
        self.clock = clock
        self.watched = watched
        self.listed: dict[uuid.UUID, tuple[bool, float]] = {}  # coach -> (listed, until)

    def register(self) -> None:
        on, guard = self.sio.on, self.limits.guard
        on("connect", handler=self.connect, namespace=AVAILABILITY)
        on("disconnect", handler=self.disconnect, namespace=AVAILABILITY)
        on("watch", handler=guard(answers(WatchIn)(self.watch)), namespace=AVAILABILITY)
        on("unwatch", handler=guard(answers(UnwatchIn)(self.unwatch)), namespace=AVAILABILITY)
        on("*", handler=self.limits.guard_any(self.unknown), namespace=AVAILABILITY)

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        """Anonymous viewers are welcome; a token that comes must be good. Sockets per address
        and per user are capped (signalling.limits)."""
        try:
            token = AvailabilityAuth.model_validate(auth or {}).token
            user = None
            if token:
                principal = await self.authenticator.socket_principal(token)
                await enter_rights_rooms(self.sio, sid, AVAILABILITY, principal)
                user = str(principal.user_id)
            self.limits.admit(sid, environ, user)
        except ValidationError as exc:
            first = field_errors(exc)[0]
            raise refused(Code.BAD_PAYLOAD, f"auth.{first.field}: {first.message}") from None
        except AppError as exc:
            raise refused(exc.code, exc.message) from None
        except Exception:
            log.exception("availability connect failed")
            raise refused(Code.INTERNAL, "Something went wrong on our side.") from None

    async def disconnect(self, sid: str, reason: object = None) -> None:
        self.limits.release(sid)

    async def watch(self, sid: str, payload: WatchIn) -> Ack:
        room = coach_room(payload.coach_id)
        if room in self._rooms(sid):
            return ok()
        # Only listed coaches are public.
        if not await self._is_listed(payload.coach_id):
            raise NotFound(Code.COACH_NOT_FOUND, f"No listed coach has id {payload.coach_id}.")
        watched = [r for r in self._rooms(sid) if r.startswith(ROOM_PREFIX)]
        if len(watched) >= MAX_WATCHES:
            raise BadRequest(
                Code.TOO_MANY_WATCHES,
                f"A socket watches at most {MAX_WATCHES} coaches; unwatch one first.",
            )
        if self.watched is not None:
            await self.watched.mark(payload.coach_id)
        await self.sio.enter_room(sid, room, namespace=AVAILABILITY)
        return ok()

    async def unwatch(self, sid: str, payload: UnwatchIn) -> Ack:
        await self.sio.leave_room(sid, coach_room(payload.coach_id), namespace=AVAILABILITY)
        return ok()

    async def unknown(self, event: str, sid: str, *_: object) -> Ack:
        return error_ack(Code.UNKNOWN_EVENT, f"{AVAILABILITY} has no event {event[:60]!r}.")

    async def _is_listed(self, coach_id: uuid.UUID) -> bool:
        """Whether the coach is listed, remembered for LISTED_TTL seconds (a watch costs no
        database read then; a coach listed or unlisted meanwhile is seen that much later)."""
        now = self.clock.monotonic()
        known = self.listed.get(coach_id)
        if known is not None and known[1] > now:
            return known[0]
        listed = await self.coaches.listed(coach_id)
        if len(self.listed) >= LISTED_CACHE_SIZE:
            self.listed = {c: v for c, v in self.listed.items() if v[1] > now}
            if len(self.listed) >= LISTED_CACHE_SIZE:
                self.listed.clear()
        self.listed[coach_id] = (listed, now + LISTED_TTL)
        return listed

    def _rooms(self, sid: str) -> list[str]:
        rooms: list[str] = self.sio.rooms(sid, namespace=AVAILABILITY)
        return rooms
