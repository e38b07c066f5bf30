"""A session's chat history over HTTP: for its two participants, during and after the session
(live chat is socket.io `/session`, signalling/chat.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.scheduling import SCHEDULING
from booking.services.messages import MAX_PAGE, MAX_SEQ, ChatMessage, Page
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.http import ApiRoutes, Input, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")


class MessagesIn(Input):
    after_seq: int = Field(
        0, ge=0, le=MAX_SEQ, description="Only messages after this `seq` (0: from the start)."
    )
    limit: int = Field(50, ge=1, le=MAX_PAGE)


class MessageOut(Output):
    seq: int = Field(description="The message's number in its room: 1, 2, 3, ... with no gap.")
    sender: uuid.UUID = Field(description="The sender's user id.")
    role: str = Field(description="`coach` or `client`.")
    text: str
    sent_at: datetime
    client_msg_id: str = Field(description="The sender's own id for the message.")

    @classmethod
    def of(cls, message: ChatMessage) -> MessageOut:
        return cls(
            seq=message.seq,
            sender=message.sender,
            role=message.role,
            text=message.text,
            sent_at=message.sent_at,
            client_msg_id=message.client_msg_id,
        )


class MessagesOut(Output):
    items: list[MessageOut] = Field(description="Oldest first.")
    has_more: bool = Field(description="More follow: ask again with the last `seq` you got.")

    @classmethod
    def of(cls, page: Page) -> MessagesOut:
        return cls(items=[MessageOut.of(m) for m in page.messages], has_more=page.has_more)


@routes.get(
    "/api/bookings/{id}/messages",
    summary="A session's chat messages",
    input=MessagesIn,
    responses={200: MessagesOut},
    errors=(404,),
)
async def list_messages(request: web.Request, query: MessagesIn) -> web.StreamResponse:
    """For the booking's client and its coach only, at any time (messages are kept after the
    session); anyone else, an admin too, gets 404. Each read is in the audit log."""
    caller = await require(request)
    page = await request.app[SCHEDULING].messages.participant_history(
        caller.user_id,
        uuid_param(request),
        query.after_seq,
        query.limit,
        address=request_address(request),
    )
    return respond(MessagesOut.of(page))
