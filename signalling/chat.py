"""The chat of a session's room, on `/session` beside the call (signalling.session keeps the
room's membership; this module hooks into its `join` and leave).

A socket may chat once it has joined (the join rules are the room's: the booking's two
participants, inside the join window); its chat seat remembers the booking, the caller, their
role and the session's end. `chat:send` stores the message through the booking services
(booking.services.messages: sealed, the room's next `seq` in the same transaction), answers
`{ok, seq, sent_at}` and emits `chat:message` to the room's socket.io room through the Redis
manager, so the other participant gets it on whichever node they are, and the sender's other
sockets too. A resend (same `client_msg_id`) is answered with the first `seq` and not emitted
again. Delivery is at most once and may reorder across nodes; clients order by `seq` and fill
any gap with `chat:history`, which is also how a reconnecting client catches up (the join ack
carries `chat: {last_seq, read_seq}`).

`chat:send` and `chat:typing` share a token bucket per socket (`CHAT_RATE`). Logs name the
booking and the `seq`, never the text.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import socketio

from booking.services.messages import ChatMessage, Messages
from booking.services.sessions import Admission
from realtime.auth.access import Principal
from realtime.clock import Clock
from realtime.errors import BadRequest, Code, Forbidden
from realtime.settings import Settings
from signalling.acks import Ack, Told, answers, ok
from signalling.chat_protocol import (
    CHAT_HISTORY,
    CHAT_MESSAGE,
    CHAT_READ,
    CHAT_SEND,
    CHAT_TYPING,
    ChatHistoryIn,
    ChatJoin,
    ChatMessageOut,
    ChatReadIn,
    ChatReadOut,
    ChatSendIn,
    ChatTypingIn,
    ChatTypingOut,
)
from signalling.limits import Flow
from signalling.protocol import SESSION, utc_iso
from signalling.rooms import room_channel
from signalling.session import SessionSignalling

log = logging.getLogger(__name__)


@dataclass(eq=False)
class ChatSeat:
    booking_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    ends_at: float  # the session's hard stop (its end and the grace), as a timestamp
    address: str | None  # for the audit log


def message_out(message: ChatMessage) -> ChatMessageOut:
    return {
        "seq": message.seq,
        "from": str(message.sender),
        "role": "coach" if message.role == "coach" else "client",
        "text": message.text,
        "sent_at": utc_iso(message.sent_at),
        "client_msg_id": message.client_msg_id,
    }


class Chat:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        settings: Settings,
        clock: Clock,
        messages: Messages,
        session: SessionSignalling,
    ) -> None:
        self.sio = sio
        self.clock = clock
        self.messages = messages
        self.session = session
        self.seats: dict[str, ChatSeat] = {}

    def register(self) -> None:
        self.session.on_join(self.joined)
        self.session.on_leave(self.left)
        events: list[tuple[str, Any]] = [
            (CHAT_SEND, answers(ChatSendIn, self._told(CHAT_SEND))(self.send)),
            (CHAT_HISTORY, answers(ChatHistoryIn, self._told(CHAT_HISTORY))(self.history)),
            (CHAT_TYPING, answers(ChatTypingIn, self._told(CHAT_TYPING))(self.typing)),
            (CHAT_READ, answers(ChatReadIn, self._told(CHAT_READ))(self.read)),
        ]
        for event, handler in events:  # every event within the socket's event rate too
            guarded = self.session.limits.guard(handler, self._told(event))
            self.sio.on(event, handler=guarded, namespace=SESSION)

    # The room's hooks

    async def joined(self, sid: str, caller: Principal, admission: Admission) -> dict[str, Any]:
        state = await self.messages.state(admission.booking_id, caller.user_id)
        self.seats[sid] = ChatSeat(
            booking_id=admission.booking_id,
            user_id=caller.user_id,
            role=admission.role,
            ends_at=admission.closes_at.timestamp(),
            address=self._address(sid),
        )
        return {
            "chat": ChatJoin(
                last_seq=state.last_seq, read_seq=state.read_seq, peer_read_seq=state.peer_read_seq
            )
        }

    def left(self, sid: str) -> None:
        self.seats.pop(sid, None)

    # Client events

    async def send(self, sid: str, payload: ChatSendIn) -> Ack:
        seat = self._seat(sid, limited=True)
        if self.clock.now().timestamp() >= seat.ends_at:
            raise Forbidden(Code.SESSION_OVER, "This session has ended; its chat is closed.")
        sent = await self.messages.send(
            seat.booking_id,
            seat.user_id,
            seat.role,
            payload.client_msg_id,
            payload.text,
            address=seat.address,
        )
        if sent.new:
            await self.sio.emit(
                CHAT_MESSAGE,
                message_out(sent.message),
                room=room_channel(str(seat.booking_id)),
                skip_sid=sid,
                namespace=SESSION,
            )
        return ok(seq=sent.message.seq, sent_at=utc_iso(sent.message.sent_at))

    async def history(self, sid: str, payload: ChatHistoryIn) -> Ack:
        seat = self._seat(sid)
        page = await self.messages.history(
            seat.booking_id,
            payload.after_seq,
            payload.limit,
            user_id=seat.user_id,
            role=seat.role,
            address=seat.address,
        )
        return ok(messages=[message_out(m) for m in page.messages], has_more=page.has_more)

    async def typing(self, sid: str, payload: ChatTypingIn) -> Ack:
        seat = self._seat(sid, limited=True)
        told = ChatTypingOut({"from": str(seat.user_id), "typing": payload.typing})
        await self._tell_room(seat, CHAT_TYPING, told, sid)
        return ok()

    async def read(self, sid: str, payload: ChatReadIn) -> Ack:
        seat = self._seat(sid)
        mark = await self.messages.mark_read(seat.booking_id, seat.user_id, payload.seq)
        await self._tell_room(
            seat, CHAT_READ, ChatReadOut({"from": str(seat.user_id), "read_seq": mark}), sid
        )
        return ok(read_seq=mark)

    # Helpers

    def _seat(self, sid: str, *, limited: bool = False) -> ChatSeat:
        seat = self.seats.get(sid)
        if seat is None:
            raise BadRequest(Code.NOT_JOINED, "Join a session before chatting.")
        limits = self.session.limits
        if limited and not limits.allow(sid, Flow.CHAT):
            raise BadRequest(Code.RATE_LIMITED, limits.over(Flow.CHAT)["error"]["message"])
        return seat

    async def _tell_room(self, seat: ChatSeat, event: str, payload: Any, sid: str) -> None:
        await self.sio.emit(
            event, payload, room=room_channel(str(seat.booking_id)), skip_sid=sid, namespace=SESSION
        )

    def _address(self, sid: str) -> str | None:
        environ = self.sio.get_environ(sid, namespace=SESSION) or {}
        return self.session.limits.address(environ) if "aiohttp.request" in environ else None

    def _told(self, event: str) -> Told:
        async def told(sid: str, _handler: str, ack: Ack) -> None:
            await self.session.tell(sid, event, ack)

        return told
