"""In-app notifications pushed to a user's open sockets (`notification`, on `/availability`
and `/session`), on every server process: every authenticated socket is in its user's room
(`signalling.rights.user_room`) and the emit goes through the socket.io manager (Redis). A
user with no socket open reads them later from `GET /api/me/notifications`; a client with
both namespaces open gets each notification twice and keeps one by `id`."""

from __future__ import annotations

import uuid
from typing import Any

import socketio

from booking.services.notifications import NotificationView
from signalling.notifications_protocol import NOTIFICATION, NotificationOut
from signalling.protocol import AVAILABILITY, SESSION, utc_iso
from signalling.rights import user_room


def payload(notification: NotificationView) -> dict[str, Any]:
    out: NotificationOut = {
        "id": str(notification.id),
        "kind": notification.kind,
        "text": notification.text,
        "booking_id": str(notification.booking_id) if notification.booking_id else None,
        "created_at": utc_iso(notification.created_at),
    }
    return dict(out)


class NotificationPush:
    """`booking.services.notifications.Push` over socket.io."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def __call__(self, user_id: uuid.UUID, notification: NotificationView) -> None:
        body = payload(notification)
        for namespace in (AVAILABILITY, SESSION):
            await self.sio.emit(NOTIFICATION, body, room=user_room(user_id), namespace=namespace)
