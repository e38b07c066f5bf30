"""The socket.io server, one per app, attached to aiohttp at `/socket.io/`.

With `REDIS_URL` set, python-socketio's Redis manager fans events out to every server process
(channel under `REDIS_PREFIX`, so deployments and test runs sharing a Redis never meet); without
it the single process delivers them itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import socketio

from realtime.settings import Settings
from signalling.codec import OrjsonCodec


def create_server(settings: Settings) -> socketio.AsyncServer:
    manager = (
        socketio.AsyncRedisManager(settings.redis_url, channel=f"{settings.redis_prefix}socketio")
        if settings.redis_url
        else None
    )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
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
        # (seen with redis-py 8 on Python 3.11): cancel until it has stopped.
        while listener is not None and not listener.done():
            listener.cancel()
            await asyncio.wait([listener], timeout=0.05)
        pubsub = getattr(sio.manager, "pubsub", None)
        if pubsub is not None:
            await pubsub.aclose()
        redis = getattr(sio.manager, "redis", None)
        if redis is not None:
            await redis.aclose()


async def disconnect_all(sio: socketio.AsyncServer) -> None:
    """Close every socket (from `on_shutdown`), so a stopping server does not wait out its open
    WebSockets until the shutdown timeout."""
    if sio.eio.sockets:
        await sio.eio.disconnect()
