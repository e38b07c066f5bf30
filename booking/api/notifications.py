"""The caller's in-app notifications (session reminders), newest first, and marking them
read. The same notifications are pushed on the socket as `notification` when one is open."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.scheduling import SCHEDULING
from booking.services.notifications import Inbox
from realtime.auth.access import require
from realtime.http import ApiRoutes, Input, Output, respond

routes = ApiRoutes(tag="notifications")


class InboxQuery(Input):
    limit: int = Field(default=20, ge=1, le=100)
    unread_only: bool = False


class NotificationOut(Output):
    id: uuid.UUID
    kind: str = Field(description="`session_reminder`.")
    text: str = Field(description="What to show, with times in your zone; nothing private.")
    booking_id: uuid.UUID | None = Field(description="The session it is about.")
    created_at: datetime
    read_at: datetime | None


class InboxOut(Output):
    items: list[NotificationOut]
    unread: int = Field(description="How many of yours are unread, in all.")

    @classmethod
    def of(cls, inbox: Inbox) -> InboxOut:
        return cls.model_validate(inbox)


class ReadIn(Input):
    ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=100,
        description="The notifications to mark read; absent or null: all of yours.",
    )


class UnreadOut(Output):
    unread: int


@routes.get(
    "/api/me/notifications",
    summary="Your notifications, newest first",
    input=InboxQuery,
    responses={200: InboxOut},
    access="user",
)
async def inbox(request: web.Request, query: InboxQuery) -> web.StreamResponse:
    caller = await require(request)
    found = await request.app[SCHEDULING].notifications.inbox(
        caller.user_id, limit=query.limit, unread_only=query.unread_only
    )
    return respond(InboxOut.of(found))


@routes.post(
    "/api/me/notifications/read",
    summary="Mark notifications read",
    input=ReadIn,
    responses={200: UnreadOut},
    access="user",
    errors=[422],
    description="Ids that are not yours are ignored. Answers how many stay unread.",
)
async def mark_read(request: web.Request, body: ReadIn) -> web.StreamResponse:
    caller = await require(request)
    unread = await request.app[SCHEDULING].notifications.mark_read(caller.user_id, body.ids)
    return respond(UnreadOut(unread=unread))
