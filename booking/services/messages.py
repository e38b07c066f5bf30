"""Chat: a session room's messages, stored sealed and numbered without gaps, with read marks.

`send` seals the text under the booking's key (the `Sealer`; the item is `message:<id>`) before
its transaction, then takes the room's next `seq` and stores the message in one transaction
(booking.storage.messages). A resend of a `client_msg_id` the sender used before stores nothing
and answers the first message. `history` pages by `seq`; `mark_read` moves a participant's
read mark and refuses a `seq` the room never had; `unread` counts, per booking, what others sent
beyond the caller's mark.

Who may send or read over socket.io is settled by the room's join (signalling.chat); over HTTP
by `participant_history`: the booking's client and coach only, never an admin. Every stored
message (`chat.write`, item `message:<id>`) and every history read (`chat.read`, item
`messages:<first>-<last>`) is in the audit log, with the participant and their address; the
live delivery of a message (`chat:message`) is not a read of the history. Logs name the
booking, the sender and the `seq`, never the text.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from booking.services.bookings import Party, participant_booking
from booking.storage import messages as store
from booking.storage.messages import StoredMessage
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import BadRequest, Code
from realtime.vault import Box, Sealer

log = logging.getLogger(__name__)

MAX_TEXT = 4000
MAX_PAGE = 200
# The largest `seq` a room can reach: the column is a 32-bit INTEGER on PostgreSQL, so a larger
# cursor is refused at the edge (it was a 500 from the driver).
MAX_SEQ = 2**31 - 1


@dataclass(frozen=True)
class ChatMessage:
    seq: int
    sender: uuid.UUID
    role: str  # "coach" or "client"
    text: str
    sent_at: datetime
    client_msg_id: str


@dataclass(frozen=True)
class Sent:
    message: ChatMessage
    new: bool  # False: a resend, answered with the first message


@dataclass(frozen=True)
class Page:
    messages: list[ChatMessage]
    has_more: bool


@dataclass(frozen=True)
class ChatState:
    last_seq: int
    read_seq: int
    peer_read_seq: int = 0  # the other participant's read mark


def scope(booking_id: uuid.UUID) -> str:
    return f"booking:{booking_id}"


def item(message_id: uuid.UUID) -> str:
    return f"message:{message_id}"


class Messages:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer, audit: Audit) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit

    async def send(
        self,
        booking_id: uuid.UUID,
        sender: uuid.UUID,
        role: str,
        client_msg_id: str,
        text: str,
        *,
        address: str | None = None,
    ) -> Sent:
        """Store a message of a participant already admitted to the room (the caller checks)."""
        if not text.strip():
            raise BadRequest(Code.MESSAGE_EMPTY, "A message needs some text.")
        if len(text) > MAX_TEXT:
            raise BadRequest(
                Code.PAYLOAD_TOO_LARGE, f"A message has at most {MAX_TEXT} characters."
            )
        message_id = new_id()
        body = await self.sealer.seal(scope(booking_id), item(message_id), text.encode())
        sent_at = self.clock.now()
        try:
            async with self.db.autocommit() as conn:  # one statement on PostgreSQL
                seq = await store.add(
                    conn,
                    StoredMessage(message_id, booking_id, 0, sender, client_msg_id, body, sent_at),
                )
        except IntegrityError as exc:
            if not store.is_resend(exc):
                raise
            async with self.db.autocommit() as conn:
                first = await store.by_client_msg_id(conn, booking_id, sender, client_msg_id)
            if first is None:  # the constraint named it, so it exists
                raise
            log.info("chat %s: resend of seq %d by user %s", booking_id, first.seq, sender)
            box = await self.sealer.box(scope(booking_id))
            return Sent(_opened(box, first, role), new=False)
        log.info("chat %s: seq %d from user %s", booking_id, seq, sender)
        await self.audit.record(
            actor_id=sender,
            action="chat.write",
            booking_id=booking_id,
            item_id=item(message_id),
            address=address,
        )
        return Sent(ChatMessage(seq, sender, role, text, sent_at, client_msg_id), new=True)

    async def history(
        self,
        booking_id: uuid.UUID,
        after_seq: int,
        limit: int,
        *,
        user_id: uuid.UUID,
        role: str,
        address: str | None = None,
    ) -> Page:
        """Up to `limit` messages after `after_seq`, oldest first, read by `user_id`, one of
        the two participants, whose part is `role` (the other's messages have the other role).
        The read is audited (`chat.read`, item `messages:<first>-<last>`)."""
        limit = max(1, min(limit, MAX_PAGE))
        async with self.db.autocommit() as conn:
            rows = await store.after(conn, booking_id, after_seq, limit + 1)
        box = await self.sealer.box(scope(booking_id))
        other = "client" if role == "coach" else "coach"
        page = rows[:limit]
        messages = [_opened(box, row, role if row.sender == user_id else other) for row in page]
        last = f"{page[-1].seq}" if page else ""
        await self.audit.record(
            actor_id=user_id,
            action="chat.read",
            booking_id=booking_id,
            item_id=f"messages:{after_seq + 1}-{last}",
            address=address,
        )
        return Page(messages, has_more=len(rows) > limit)

    async def participant_history(
        self,
        user_id: uuid.UUID,
        booking_id: uuid.UUID,
        after_seq: int,
        limit: int,
        *,
        address: str | None = None,
    ) -> Page:
        """History for the booking's client or coach, at any time; anyone else (an admin too)
        is told the booking does not exist."""
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, Party(user_id), booking_id)
        role = "client" if user_id == booking.client_id else "coach"
        page = await self.history(
            booking_id, after_seq, limit, user_id=user_id, role=role, address=address
        )
        log.info("chat %s: history read by user %s", booking_id, user_id)
        return page

    async def state(self, booking_id: uuid.UUID, user_id: uuid.UUID) -> ChatState:
        async with self.db.autocommit() as conn:
            last = await store.last_seq(conn, booking_id)
            read = await store.read_seq(conn, booking_id, user_id)
            peer = await store.peer_read_seq(conn, booking_id, user_id)
        return ChatState(last_seq=last, read_seq=read, peer_read_seq=peer)

    async def mark_read(self, booking_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> int:
        """Everything up to `seq` is read by `user_id`; the mark never moves back."""
        async with self.db.transaction() as conn:
            last = await store.last_seq(conn, booking_id)
            if seq > last:
                raise BadRequest(
                    Code.UNKNOWN_SEQ, f"This room has no message {seq}; its last is {last}."
                )
            return await store.mark_read(conn, booking_id, user_id, seq)

    async def unread(
        self, booking_ids: list[uuid.UUID], user_id: uuid.UUID
    ) -> dict[uuid.UUID, int]:
        async with self.db.autocommit() as conn:
            return await store.unread(conn, booking_ids, user_id)


def _opened(box: Box, row: StoredMessage, role: str) -> ChatMessage:
    text = box.open(item(row.id), row.body).decode()
    return ChatMessage(row.seq, row.sender, role, text, row.sent_at, row.client_msg_id)
