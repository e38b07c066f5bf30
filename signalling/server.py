"""The socket.io server, one per app, attached to aiohttp at `/socket.io/`.

With `REDIS_URL` set, python-socketio's Redis manager fans events out to every server process
(channel under `REDIS_PREFIX`, so deployments and test runs sharing a Redis never meet); without
it the single process delivers them itself.
"""

from __future__ import annotations

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
        logger=False,
        engineio_logger=False,
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=20,
    )
