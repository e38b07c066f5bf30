"""A coach's private calendar subscription: the hash of the secret in its feed URL.

One row per coach with a feed. Only the SHA-256 of the secret is stored, so the database alone
cannot rebuild a feed URL; rotating replaces the hash (the old URL stops working at once),
revoking deletes the row.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from booking.storage.bookings import Booking
from realtime.auth.models import User
from realtime.db import Base, UtcDateTime


class CalendarSubscription(Base):
    __tablename__ = "calendar_subscriptions"

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def of_coach(session: AsyncSession, coach_id: uuid.UUID) -> CalendarSubscription | None:
    return await session.get(CalendarSubscription, coach_id)


async def put(
    session: AsyncSession, coach_id: uuid.UUID, secret_hash: str, now: datetime
) -> CalendarSubscription:
    """Create the coach's subscription, or give it a new secret."""
    row = await session.get(CalendarSubscription, coach_id, with_for_update=True)
    if row is None:
        row = CalendarSubscription(coach_id=coach_id)
        session.add(row)
    row.secret_hash = secret_hash
    row.created_at = now
    await session.flush()
    return row


async def remove(session: AsyncSession, coach_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(CalendarSubscription).where(CalendarSubscription.coach_id == coach_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def coach_by_secret(session: AsyncSession, secret_hash: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(CalendarSubscription.coach_id).where(CalendarSubscription.secret_hash == secret_hash)
    )
    return found


async def sessions_of(
    session: AsyncSession, coach_id: uuid.UUID, statuses: frozenset[str], ends_after: datetime
) -> list[tuple[Booking, str]]:
    """The coach's bookings in `statuses` ending after `ends_after`, soonest first, with each
    client's display name."""
    rows = await session.execute(
        select(Booking, User.display_name)
        .join(User, User.id == Booking.client_id)
        .where(
            Booking.coach_id == coach_id,
            Booking.status.in_(sorted(statuses)),
            Booking.ends_at > ends_after,
        )
        .order_by(Booking.starts_at)
    )
    return [(booking, name) for booking, name in rows]
