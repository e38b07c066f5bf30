"""The socket.io server, one per app, attached to aiohttp at `/socket.io/`.

With `REDIS_URL` set, python-socketio's Redis manager fans events out to every server process
(channel under `REDIS_PREFIX`, so deployments and test runs sharing a Redis never meet); without
it the single process delivers them itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from aiohttp import web
from engineio.async_drivers import aiohttp as aiohttp_driver

from realtime.live import redis_client
from realtime.settings import Settings
from realtime.tasks import stopped
from signalling.codec import OrjsonCodec

log = logging.getLogger(__name__)

# How long a stopping server waits for its sockets to close before it stops all the same.
SHUTDOWN_WAIT = 5.0


class WaitingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]  # untyped
    """python-socketio's Redis manager with its client on a pool that waits for a free
    connection (`realtime.live.redis_client`). Its own client's pool raises `Too many
    connections` at 100 under a burst, and a publish that fails twice is dropped (a lost
    signal). `redis_options` cannot choose the pool: redis-py's asyncio `Redis.from_url`
    always builds a plain `ConnectionPool`, hence this override (the Sentinel branch of the
    original is not used here)."""

    def _redis_connect(self) -> None:
        self.redis = redis_client(self.redis_url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


class PlainWebSocket(aiohttp_driver.WebSocket):  # type: ignore[misc]  # engineio is untyped
    """engine.io's aiohttp WebSocket with permessage-deflate refused (`compress=False`).

    Browsers offer compression and aiohttp accepts it by default; its `zlib.compressobj` costs
    about 262 KB allocated (about 90 KB resident) per connection, most of an idle socket's
    memory, and CPU on both ends for every message. Signalling messages are small and sent
    once, so they gain little from it (bench/signalling.py, docs/benchmarks.md).
    python-engineio offers no option for it, so its driver's WebSocket is replaced."""

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


class TextPacket(socketio.packet.Packet):  # type: ignore[misc]  # untyped
    """A socket.io packet that never carries binary attachments. python-socketio walks every
    outgoing payload (an SDP included) looking for bytes, about 6% of the relay's CPU; our
    protocol is JSON only (signalling/protocol.py) and the JSON codec cannot encode bytes
    anyway, so the answer is always no."""

    @classmethod
    def data_is_binary(cls, data: object) -> bool:
        return False


def create_server(settings: Settings) -> socketio.AsyncServer:
    manager = (
        WaitingRedisManager(settings.redis_url, channel=f"{settings.redis_prefix}socketio")
        if settings.redis_url
        else None
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=TextPacket,
        json=OrjsonCodec,
        # One socket's events are handled in the order they came, one at a time (other sockets
        # run concurrently): a relayed offer must not overtake, or be overtaken by, the ICE
        # candidates sent after it. It also saves a task per event on the relay path.
        async_handlers=False,
        logger=False,
        engineio_logger=False,
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=20,
    )
    sio.eio._async = {**sio.eio._async, "websocket": PlainWebSocket}
    return sio


@asynccontextmanager
async def running(sio: socketio.AsyncServer) -> AsyncIterator[None]:
    """The server's background work for the app's lifetime.

    The Redis manager subscribes at start rather than on the first socket, so it is listening
    by the time viewers arrive, and its Redis client is made by the listener before any emit
    (an emit first would make a client the listener then replaces and leaks). On the way out
    engine.io's tasks stop and the listener and its Redis connections are closed.
    """
    sio.manager_initialized = True
    sio.manager.initialize()
    try:
        yield
    finally:
        await sio.shutdown()
        listener: asyncio.Task[None] | None = getattr(sio.manager, "thread", None)
        # A cancellation that lands while the listener is still connecting is sometimes lost
        # (seen with redis-py 8 on Python 3.11): cancelled until it has stopped, for a while.
        if listener is not None:
            await stopped([listener])
        pubsub = getattr(sio.manager, "pubsub", None)
        if pubsub is not None:
            await pubsub.aclose()
        redis = getattr(sio.manager, "redis", None)
        if redis is not None:
            await redis.aclose()


async def disconnect_all(sio: socketio.AsyncServer, wait: float = SHUTDOWN_WAIT) -> None:
    """Close every socket (from `on_shutdown`), so a stopping server does not wait out its open
    WebSockets until the shutdown timeout, waiting at most `wait` seconds.

    engine.io's close waits until the socket's send queue is drained, which never happens when
    its client is gone or silent (a long-polling client that never polls again, a WebSocket
    whose writer has stopped); aiohttp does not bound `on_shutdown`, so the node would never
    stop. Each socket's `disconnect` handler has run by then (it runs before the wait)."""
    # What `sio.eio.disconnect()` does, with the wait bounded; done here, as that method fails
    # (asyncio.wait of nothing) when the last socket closed between a check and its call.
    eio = sio.eio
    sockets = list(eio.sockets.values())
    if not sockets:
        return
    closing = [
        asyncio.create_task(socket.close(reason=eio.reason.SERVER_DISCONNECT)) for socket in sockets
    ]
    _, pending = await asyncio.wait(closing, timeout=wait)
    if pending:
        log.warning(
            "%d sockets still closing after %s s; stopping without them", len(pending), wait
        )
        await stopped(list(pending))
    eio.sockets = {}
