"""Socket rights: a socket is trusted only as long as what let it in still holds.

Checked when asked: the token is checked at connect and again at every `join`
(`Authenticator.socket_principal`: revoked session, token version, expiry, disabled account,
and a token scoped to two-factor setup opens no socket).

Changed elsewhere, acted on at once: when logins end (logout, logout everywhere, a disabled
account; `realtime.auth.revocations`) or a booking's room must empty (cancel, reschedule;
`booking.services.sessions.SessionGate`), `SocketRights` publishes the change to every server
process on the Redis channel `<REDIS_PREFIX>rights` (in process without Redis), and each
process acts on its own sockets:

- revoked: every authenticated socket is in this process's socket.io rooms `user:<id>` and
  `login:<session id>` (entered at connect, on `/session` and `/availability`); those of the
  user, or of the one login, are told `error` (`token_invalid` or `account_disabled`) on
  `/session` and disconnected.
- closed: `SessionSignalling.close_room` takes this process's seats of the booking's room out
  of it and tells them `session:closed`.

Why a channel of our own: python-socketio's Redis manager publishes a `disconnect` for one
socket id only, and offers no way to run server code on the other processes (read in 5.18.1,
`async_pubsub_manager.py`: its listener ignores any other `method`). It costs one subscribed
Redis connection per process. A message published while a process is not subscribed (starting,
reconnecting to Redis) does not reach it; the check at every `join` is the backstop there.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import orjson
import redis.asyncio as aioredis
import socketio

from booking.services.sessions import Closed
from realtime.auth.access import Principal
from realtime.auth.revocations import Revoked
from realtime.clock import Clock
from realtime.errors import Code
from realtime.live import redis_client
from realtime.tasks import stopped
from signalling.protocol import AVAILABILITY, ERROR, SESSION, ErrorEvent

log = logging.getLogger(__name__)

Message = dict[str, str]
Deliver = Callable[[Message], Awaitable[None]]
CloseRoom = Callable[[str, Closed], Awaitable[None]]

# What a socket of a revoked login is told before it is disconnected.
TOLD: dict[Revoked, tuple[Code, str]] = {
    Revoked.LOGGED_OUT: (Code.TOKEN_INVALID, "You logged out; log in again to continue."),
    Revoked.REUSED: (
        Code.TOKEN_INVALID,
        "This login was ended because its refresh token was used twice; log in again.",
    ),
    Revoked.LOGGED_OUT_EVERYWHERE: (
        Code.TOKEN_INVALID,
        "Every session of this account was ended; log in again to continue.",
    ),
    Revoked.DISABLED: (Code.ACCOUNT_DISABLED, "This account is disabled."),
    Revoked.PASSWORD_CHANGED: (
        Code.TOKEN_INVALID,
        "This account's password was changed; log in again with the new one.",
    ),
}


def user_room(user_id: uuid.UUID | str) -> str:
    return f"user:{user_id}"


def login_room(session_id: uuid.UUID | str) -> str:
    return f"login:{session_id}"


async def enter_rights_rooms(
    sio: socketio.AsyncServer, sid: str, namespace: str, principal: Principal
) -> None:
    """Put a newly authenticated socket where a revocation finds it (this process only)."""
    await sio.enter_room(sid, user_room(principal.user_id), namespace=namespace)
    await sio.enter_room(sid, login_room(principal.session_id), namespace=namespace)


class Bus(Protocol):
    async def publish(self, message: Message) -> None: ...

    def listening(self, deliver: Deliver) -> AbstractAsyncContextManager[None]: ...


class LocalBus:
    """One process: a message is delivered as it is published."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def publish(self, message: Message) -> None:
        if self._deliver is not None:
            await self._deliver(message)

    @asynccontextmanager
    async def listening(self, deliver: Deliver) -> AsyncIterator[None]:
        self._deliver = deliver
        try:
            yield
        finally:
            self._deliver = None


class RedisBus:
    """Every process: Redis pub/sub on `<prefix>rights`, this process included."""

    def __init__(self, url: str, prefix: str, clock: Clock) -> None:
        self.redis: aioredis.Redis = redis_client(url)
        self.channel = f"{prefix}rights"
        self.clock = clock

    async def publish(self, message: Message) -> None:
        await self.redis.publish(self.channel, orjson.dumps(message))

    @asynccontextmanager
    async def listening(self, deliver: Deliver) -> AsyncIterator[None]:
        """Subscribed (confirmed by Redis) before the app serves, until it stops."""
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while await pubsub.get_message(timeout=1.0) is None:
                pass  # the subscription's confirmation comes first
            task = asyncio.create_task(self._listen(pubsub, deliver))
            try:
                yield
            finally:
                await stopped([task])
        finally:
            await pubsub.aclose()
            await self.redis.aclose()

    async def _listen(self, pubsub: aioredis.client.PubSub, deliver: Deliver) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await _dispatch(deliver, message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("rights channel failed; subscribing again")
                await self.clock.sleep(1.0)


async def _dispatch(deliver: Deliver, raw: bytes) -> None:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.warning("rights channel: a message that is not JSON; ignored")
        return
    try:
        await deliver(message)
    except Exception:
        log.exception("rights channel: %s not applied", message.get("kind"))


class SocketRights:
    """`Revocations` for the accounts and `SessionGate` for the booking services: every server
    process acts on its own sockets (module docstring)."""

    def __init__(self, sio: socketio.AsyncServer, bus: Bus) -> None:
        self.sio = sio
        self.bus = bus
        self._close_room: CloseRoom | None = None

    def on_close(self, close_room: CloseRoom) -> None:
        """Who empties this process's part of a room (`SessionSignalling.close_room`)."""
        self._close_room = close_room

    def running(self) -> AbstractAsyncContextManager[None]:
        return self.bus.listening(self._apply)

    async def revoked(
        self, user_id: uuid.UUID, reason: Revoked, login_id: uuid.UUID | None = None
    ) -> None:
        room = user_room(user_id) if login_id is None else login_room(login_id)
        await self._publish({"kind": "revoked", "room": room, "reason": reason.value})

    async def close(self, booking_id: uuid.UUID, reason: Closed) -> None:
        await self._publish({"kind": "closed", "booking": str(booking_id), "reason": reason.value})

    async def _publish(self, message: Message) -> None:
        try:
            await self.bus.publish(message)
        except Exception:
            # The change is committed; the check at every join still refuses the socket.
            log.exception("rights: %s not published", message["kind"])

    async def _apply(self, message: Message) -> None:
        """One process's part of a published change."""
        match message.get("kind"):
            case "revoked":
                await self._disconnect(message["room"], Revoked(message["reason"]))
            case "closed" if self._close_room is not None:
                await self._close_room(message["booking"], Closed(message["reason"]))

    async def _disconnect(self, room: str, reason: Revoked) -> None:
        code, text = TOLD[reason]
        for namespace in (SESSION, AVAILABILITY):
            sids = [sid for sid, _ in self.sio.manager.get_participants(namespace, room)]
            for sid in sids:
                if namespace == SESSION:
                    told = ErrorEvent(code=code.value, message=text, event=None)
                    await self.sio.emit(ERROR, told, to=sid, namespace=SESSION, ignore_queue=True)
                await self.sio.disconnect(sid, namespace=namespace, ignore_queue=True)
            if sids:
                log.info("%s: %d %s sockets disconnected (%s)", room, len(sids), namespace, reason)
