"""Who was in a session's room, and when: one row per stay, from a join to the leave."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime


class Stay(Base):
    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_booking", "booking_id", "joined_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    role: Mapped[str] = mapped_column(String(8))  # coach | client
    via: Mapped[str] = mapped_column(String(8))  # browser | phone
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


async def close(session: AsyncSession, stay_id: int, at: datetime) -> None:
    """End a stay (once: a stay already ended keeps its time)."""
    await session.execute(
        update(Stay).where(Stay.id == stay_id, Stay.left_at.is_(None)).values(left_at=at)
    )


async def of_booking(session: AsyncSession, booking_id: uuid.UUID) -> list[Stay]:
    found = await session.scalars(
        select(Stay).where(Stay.booking_id == booking_id).order_by(Stay.joined_at, Stay.id)
    )
    return list(found)
