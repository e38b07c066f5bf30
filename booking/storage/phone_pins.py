"""Dial-in PINs: one per participant of a phone session, found by its keyed hash when a caller
types it, and kept sealed (the booking's vault scope) only so its participant can be shown
it again. The PIN itself is never stored in the clear."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime


class PhonePin(Base):
    __tablename__ = "phone_pins"
    __table_args__ = (
        UniqueConstraint("booking_id", "user_id"),
        Index("uq_phone_pins_digest", "digest", unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    digest: Mapped[str] = mapped_column(String(64))  # media.phone.pin_digest
    pin: Mapped[bytes] = mapped_column(LargeBinary)  # sealed, item `phone-pin:<user id>`
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def item_id(user_id: uuid.UUID) -> str:
    return f"phone-pin:{user_id}"


async def of_participant(
    session: AsyncSession, booking_id: uuid.UUID, user_id: uuid.UUID
) -> PhonePin | None:
    found: PhonePin | None = await session.scalar(
        select(PhonePin).where(PhonePin.booking_id == booking_id, PhonePin.user_id == user_id)
    )
    return found


async def by_digest(session: AsyncSession, digest: str) -> PhonePin | None:
    found: PhonePin | None = await session.scalar(select(PhonePin).where(PhonePin.digest == digest))
    return found
