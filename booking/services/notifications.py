"""In-app notifications: written in the transaction of what they tell (a reminder falling
due), read and marked read over HTTP (`GET /api/me/notifications`), and pushed to the user's
open sockets once that transaction has committed (`Push`, given by the socket layer)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from booking.storage import notifications as store
from booking.storage.notifications import Notification
from realtime.clock import Clock
from realtime.db import Database


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    kind: str
    text: str
    booking_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class Inbox:
    items: list[NotificationView]
    unread: int


class Push(Protocol):
    async def __call__(self, user_id: uuid.UUID, notification: NotificationView) -> None: ...


async def nobody_listening(user_id: uuid.UUID, notification: NotificationView) -> None:
    """The push without sockets (socket.io off): the notification waits in the inbox."""


def add(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    kind: str,
    text: str,
    booking_id: uuid.UUID | None,
    at: datetime,
) -> NotificationView:
    """A notification, in the caller's transaction (push it after that commits)."""
    row = Notification(
        id=uuid.uuid4(), user_id=user_id, kind=kind, text=text, booking_id=booking_id, created_at=at
    )
    session.add(row)
    return view(row)


def view(row: Notification) -> NotificationView:
    return NotificationView(
        id=row.id,
        kind=row.kind,
        text=row.text,
        booking_id=row.booking_id,
        created_at=row.created_at,
        read_at=row.read_at,
    )


class Notifications:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def inbox(self, user_id: uuid.UUID, *, limit: int, unread_only: bool) -> Inbox:
        async with self.db.session() as session:
            rows = await store.newest(session, user_id, limit, unread_only=unread_only)
            unread = await store.unread(session, user_id)
        return Inbox([view(r) for r in rows], unread)

    async def mark_read(self, user_id: uuid.UUID, ids: list[uuid.UUID] | None) -> int:
        """Mark these (or all) of the user's notifications read; how many stay unread."""
        async with self.db.session() as session:
            await store.mark_read(session, user_id, ids, self.clock.now())
            return await store.unread(session, user_id)
