"""A socket.io client on `/session` that keeps every event it is told, for the tests."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from signalling.chat_protocol import CHAT_MESSAGE, CHAT_READ, CHAT_TYPING
from signalling.countdown_protocol import SESSION_ENDED, TIMER_SYNC, TIMER_WARNING
from signalling.media_state_protocol import PEER_MEDIA
from signalling.notes_protocol import NOTE_SHARED
from signalling.protocol import (
    ERROR,
    PEER_JOINED,
    PEER_LEFT,
    PEER_RECONNECTED,
    SESSION,
    SESSION_CLOSED,
    SIGNAL,
)
from signalling.resources_protocol import RESOURCE_SHARED
from tests.signalling.viewers import WAIT

EVENTS = (
    SIGNAL,
    PEER_JOINED,
    PEER_LEFT,
    PEER_RECONNECTED,
    SESSION_CLOSED,
    ERROR,
    CHAT_MESSAGE,
    CHAT_TYPING,
    CHAT_READ,
    TIMER_SYNC,
    TIMER_WARNING,
    SESSION_ENDED,
    RESOURCE_SHARED,
    PEER_MEDIA,
    NOTE_SHARED,
)


class Peer:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, asyncio.Queue[dict[str, Any]]] = {e: asyncio.Queue() for e in EVENTS}
        self.refusals: list[Any] = []
        self.gone = asyncio.Event()
        for event, queue in self.events.items():
            self.sio.on(event, handler=queue.put_nowait, namespace=SESSION)
        self.sio.on("connect_error", handler=self.refusals.append, namespace=SESSION)
        self.sio.on("disconnect", handler=self._disconnected, namespace=SESSION)
        self.peer_id = ""

    async def _disconnected(self, *_: object) -> None:
        self.gone.set()

    async def connect(self, url: str, auth: object) -> None:
        await self.sio.connect(
            url, auth=auth, namespaces=[SESSION], transports=["websocket"], wait_timeout=WAIT
        )

    async def call(self, event: str, payload: object = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, payload, namespace=SESSION, timeout=WAIT)
        return ack

    async def join(self, booking_id: str) -> dict[str, Any]:
        ack = await self.call("join", {"booking_id": booking_id})
        assert ack["ok"] is True, ack
        self.peer_id = ack["peer_id"]
        return ack

    async def send(self, event: str, payload: object) -> None:
        """Emit without asking for an ack, as browsers send signals."""
        await self.sio.emit(event, payload, namespace=SESSION)

    async def next(self, event: str) -> dict[str, Any]:
        return await asyncio.wait_for(self.events[event].get(), WAIT)

    def pending(self, event: str) -> list[dict[str, Any]]:
        """Events of this kind received and not yet taken."""
        queue = self.events[event]
        return [queue.get_nowait() for _ in range(queue.qsize())]

    async def close(self) -> None:
        await self.sio.disconnect()
