"""Tells a session's room on `/session` that a resource was shared: `resource:shared` to the
room's socket.io room, through the Redis manager when there is one, so it reaches the sockets on
every server process. Sharing is over HTTP (booking.services.resources calls this after the
share is stored and audited); the room has no resource events of its own to limit."""

from __future__ import annotations

import logging
import uuid

import socketio

from booking.services.resources import Shared
from signalling.protocol import SESSION, utc_iso
from signalling.resources_protocol import RESOURCE_SHARED, ResourceSharedOut
from signalling.rooms import room_channel

log = logging.getLogger(__name__)


def shared_out(shared: Shared) -> ResourceSharedOut:
    return ResourceSharedOut(
        id=str(shared.id),
        kind="file" if shared.kind == "file" else "link",
        title=shared.title,
        url=shared.url,
        file_name=shared.file_name,
        content_type=shared.content_type,
        size=shared.size,
        created_at=utc_iso(shared.created_at),
    )


class RoomAnnouncer:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def shared(self, booking_id: uuid.UUID, resource: Shared) -> None:
        """Never raises: the share is stored; a client that missed the event lists it."""
        try:
            await self.sio.emit(
                RESOURCE_SHARED,
                shared_out(resource),
                room=room_channel(str(booking_id)),
                namespace=SESSION,
            )
        except Exception:
            log.exception("booking %s: resource:shared not delivered", booking_id)
