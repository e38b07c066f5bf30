"""A socket.io client on `/availability` that keeps what it is told, for the tests."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from signalling.notifications_protocol import NOTIFICATION
from signalling.protocol import AVAILABILITY, SLOTS_CHANGED

# Long enough for a loaded machine; a passing test waits only as long as the event takes.
WAIT = 10.0


class Viewer:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.changes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.notifications: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.refusals: list[Any] = []
        self.sio.on(SLOTS_CHANGED, handler=self.changes.put_nowait, namespace=AVAILABILITY)
        self.sio.on(NOTIFICATION, handler=self.notifications.put_nowait, namespace=AVAILABILITY)
        self.sio.on("connect_error", handler=self.refusals.append, namespace=AVAILABILITY)

    async def connect(
        self, url: str, auth: object = None, headers: dict[str, str] | None = None
    ) -> None:
        await self.sio.connect(
            url,
            auth=auth,
            headers=headers or {},
            namespaces=[AVAILABILITY],
            transports=["websocket"],
            wait_timeout=WAIT,
        )

    async def call(self, event: str, payload: object = None) -> dict[str, Any]:
        """Send an event and return the server's ack."""
        ack: dict[str, Any] = await self.sio.call(
            event, payload, namespace=AVAILABILITY, timeout=WAIT
        )
        return ack

    async def watch(self, coach_id: str) -> None:
        assert await self.call("watch", {"coach_id": coach_id}) == {"ok": True}

    async def next_change(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.changes.get(), WAIT)

    async def next_notification(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.notifications.get(), WAIT)

    async def close(self) -> None:
        await self.sio.disconnect()
