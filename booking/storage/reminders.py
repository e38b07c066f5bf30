"""A session's reminders: one row per participant and lead (24 hours, 1 hour), written in
the transaction that confirms or moves the booking, withdrawn in the one that cancels, moves
or starts it, and claimed once by whichever process sends it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime

PENDING = "pending"
SENT = "sent"
WITHDRAWN = "withdrawn"  # the booking was canceled, moved or started before it fell due
SKIPPED = "skipped"  # found due too late to be of use (the next one goes instead)


class ReminderRow(Base):
    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_due", "status", "due_at"),
        Index("ix_reminders_booking", "booking_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    recipient: Mapped[str] = mapped_column(String(8))  # coach | client
    lead: Mapped[str] = mapped_column(String(4))  # 24h | 1h
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


async def withdraw(session: AsyncSession, booking_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ReminderRow)
        .where(ReminderRow.booking_id == booking_id, ReminderRow.status == PENDING)
        .values(status=WITHDRAWN, done_at=now)
    )


async def due(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    found = await session.scalars(
        select(ReminderRow.id)
        .where(ReminderRow.status == PENDING, ReminderRow.due_at <= now)
        .order_by(ReminderRow.due_at)
        .limit(limit)
    )
    return list(found)


async def claim(session: AsyncSession, reminder_id: int, now: datetime, status: str) -> bool:
    """Take a pending reminder, leaving it `status` (sent or skipped), in one compare-and-set:
    only one transaction gets it; False when another process took it, or it was withdrawn,
    first. (One statement: a second update of the row in the same transaction would check its
    foreign key again on PostgreSQL, locking the booking behind whoever waits for it.)"""
    taken = await session.execute(
        update(ReminderRow)
        .where(ReminderRow.id == reminder_id, ReminderRow.status == PENDING)
        .values(status=status, done_at=now)
        .returning(ReminderRow.id)
    )
    return taken.first() is not None


async def of_booking(session: AsyncSession, booking_id: uuid.UUID) -> list[ReminderRow]:
    found = await session.scalars(
        select(ReminderRow)
        .where(ReminderRow.booking_id == booking_id)
        .order_by(ReminderRow.due_at, ReminderRow.recipient, ReminderRow.id)
    )
    return list(found)
