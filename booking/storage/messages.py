"""Chat messages: one row per message of a session's room, numbered per room without gaps.

`chat_rooms` holds one counter row per booking that has messages; a send takes the next number
by an upsert on that row (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`) and inserts the
message in the same transaction. The counter row stays locked until the commit, so concurrent
sends to one room queue on it, and a send that fails (its transaction rolls back) gives its
number back: `seq` is 1, 2, 3, ... with no hole, on PostgreSQL and SQLite alike. A resend of a
`client_msg_id` the sender already used is refused by a unique constraint, and the caller reads
the first message instead. `chat_reads` holds how far each participant has read.

Bodies are stored sealed (the caller seals them; this module never sees the text).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.dml import Insert

from realtime.db import Base, UtcDateTime

CLIENT_MSG_CONSTRAINT = "uq_messages_client_msg"


class ChatRoom(Base):
    """The per-room counter: the last `seq` given in the booking's room."""

    __tablename__ = "chat_rooms"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    last_seq: Mapped[int] = mapped_column(Integer)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("booking_id", "seq", name="uq_messages_seq"),
        UniqueConstraint("booking_id", "sender", "client_msg_id", name=CLIENT_MSG_CONSTRAINT),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    client_msg_id: Mapped[str] = mapped_column(String(64))
    # The text, sealed under the booking's data key with `message:<id>` as associated data.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChatRead(Base):
    """How far a participant has read a room: every `seq` up to `read_seq`."""

    __tablename__ = "chat_reads"

    booking_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    read_seq: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class StoredMessage:
    id: uuid.UUID
    booking_id: uuid.UUID
    seq: int
    sender: uuid.UUID
    client_msg_id: str
    body: bytes
    sent_at: datetime


def _upsert(conn: AsyncConnection) -> type[postgresql.Insert] | type[sqlite.Insert]:
    return sqlite.Insert if conn.dialect.name == "sqlite" else postgresql.Insert


async def next_seq(conn: AsyncConnection, booking_id: uuid.UUID) -> int:
    """Take the room's next number; the counter row stays locked until the transaction ends."""
    upsert = _upsert(conn)(ChatRoom).values(booking_id=booking_id, last_seq=1)
    statement = upsert.on_conflict_do_update(
        index_elements=[ChatRoom.booking_id], set_={"last_seq": ChatRoom.last_seq + 1}
    ).returning(ChatRoom.last_seq)
    return int((await conn.execute(statement)).scalar_one())


_FIELDS = ("id", "booking_id", "sender", "client_msg_id", "body", "sent_at")


def _numbered_insert() -> Insert:
    """PostgreSQL: the counter's upsert in a CTE feeding the message's insert, one statement.
    Built once (with bind parameters): building a Core statement costs more CPU than the
    round trip it saves."""
    table = Message.__table__.c
    counter = (
        postgresql.insert(ChatRoom)
        .values(booking_id=bindparam("booking_id", type_=Uuid()), last_seq=1)
        .on_conflict_do_update(
            index_elements=[ChatRoom.booking_id], set_={"last_seq": ChatRoom.last_seq + 1}
        )
        .returning(ChatRoom.last_seq)
        .cte("counter")
    )
    row = select(*(bindparam(f, type_=table[f].type) for f in _FIELDS), counter.c.last_seq)
    return insert(Message).from_select([*_FIELDS, "seq"], row).returning(Message.seq)


_NUMBERED_INSERT = _numbered_insert()


async def add(conn: AsyncConnection, message: StoredMessage) -> int:
    """Store the message under the room's next `seq` (its own `seq` is ignored); the `seq`.

    On PostgreSQL one statement, so a send is one round trip and, run on its own, its own
    transaction; on SQLite two statements, to be run in one transaction."""
    values = {f: getattr(message, f) for f in _FIELDS}
    if conn.dialect.name == "sqlite":
        seq = await next_seq(conn, message.booking_id)
        await conn.execute(insert(Message).values(seq=seq, **values))
        return seq
    return int((await conn.execute(_NUMBERED_INSERT, values)).scalar_one())


def is_resend(error: IntegrityError) -> bool:
    """Whether the insert was refused because the sender already used this client_msg_id."""
    text = str(error.orig)
    return CLIENT_MSG_CONSTRAINT in text or "messages.client_msg_id" in text


_COLUMNS = (
    Message.id,
    Message.booking_id,
    Message.seq,
    Message.sender,
    Message.client_msg_id,
    Message.body,
    Message.sent_at,
)


def _stored(row: tuple[object, ...]) -> StoredMessage:
    return StoredMessage(*row)  # type: ignore[arg-type]  # columns in field order


async def by_client_msg_id(
    conn: AsyncConnection, booking_id: uuid.UUID, sender: uuid.UUID, client_msg_id: str
) -> StoredMessage | None:
    row = (
        await conn.execute(
            select(*_COLUMNS).where(
                Message.booking_id == booking_id,
                Message.sender == sender,
                Message.client_msg_id == client_msg_id,
            )
        )
    ).first()
    return None if row is None else _stored(tuple(row))


async def after(
    conn: AsyncConnection, booking_id: uuid.UUID, after_seq: int, limit: int
) -> list[StoredMessage]:
    """Up to `limit` messages with `seq > after_seq`, in order."""
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(Message.booking_id == booking_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    return [_stored(tuple(row)) for row in rows]


async def last_seq(conn: AsyncConnection, booking_id: uuid.UUID) -> int:
    value = await conn.scalar(select(ChatRoom.last_seq).where(ChatRoom.booking_id == booking_id))
    return int(value or 0)


async def read_seq(conn: AsyncConnection, booking_id: uuid.UUID, user_id: uuid.UUID) -> int:
    value = await conn.scalar(
        select(ChatRead.read_seq).where(
            ChatRead.booking_id == booking_id, ChatRead.user_id == user_id
        )
    )
    return int(value or 0)


async def peer_read_seq(conn: AsyncConnection, booking_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """How far the other participant has read (their mark), for "Seen" on a later visit."""
    value = await conn.scalar(
        select(func.max(ChatRead.read_seq)).where(
            ChatRead.booking_id == booking_id, ChatRead.user_id != user_id
        )
    )
    return int(value or 0)


async def mark_read(
    conn: AsyncConnection, booking_id: uuid.UUID, user_id: uuid.UUID, seq: int
) -> int:
    """Move the participant's read mark up to `seq` (never back); returns the mark."""
    upsert = _upsert(conn)(ChatRead).values(booking_id=booking_id, user_id=user_id, read_seq=seq)
    statement = upsert.on_conflict_do_update(
        index_elements=[ChatRead.booking_id, ChatRead.user_id],
        set_={"read_seq": func.max(ChatRead.read_seq, seq)}
        if conn.dialect.name == "sqlite"
        else {"read_seq": func.greatest(ChatRead.read_seq, seq)},
    ).returning(ChatRead.read_seq)
    return int((await conn.execute(statement)).scalar_one())


async def unread(
    conn: AsyncConnection, booking_ids: list[uuid.UUID], user_id: uuid.UUID
) -> dict[uuid.UUID, int]:
    """Per booking, the messages others sent that `user_id` has not read (missing: none)."""
    if not booking_ids:
        return {}
    mark = ChatRead.__table__
    rows = await conn.execute(
        select(Message.booking_id, func.count())
        .select_from(Message)
        .outerjoin(
            mark,
            and_(ChatRead.booking_id == Message.booking_id, ChatRead.user_id == user_id),
        )
        .where(
            Message.booking_id.in_(booking_ids),
            Message.sender != user_id,
            or_(ChatRead.read_seq.is_(None), Message.seq > ChatRead.read_seq),
        )
        .group_by(Message.booking_id)
    )
    return {booking_id: int(count) for booking_id, count in rows}
