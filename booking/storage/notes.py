"""Session notes: every version kept, each body sealed (item `note:<version id>`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class NoteVersion(Base):
    """One version of a booking's private or shared note, never changed once written."""

    __tablename__ = "note_versions"
    # Also the index that reads a booking's notes in order.
    __table_args__ = (UniqueConstraint("booking_id", "audience", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)


def item_id(version_id: uuid.UUID) -> str:
    """The vault item of a version's body: bound to its row."""
    return f"note:{version_id}"


async def last_version(session: AsyncSession, booking_id: uuid.UUID, audience: str) -> int:
    found = await session.scalar(
        select(func.max(NoteVersion.version)).where(
            NoteVersion.booking_id == booking_id, NoteVersion.audience == audience
        )
    )
    return found or 0


async def versions(
    session: AsyncSession, booking_id: uuid.UUID, audiences: Sequence[str]
) -> Sequence[NoteVersion]:
    """Every version of the given notes, newest first."""
    return (
        await session.scalars(
            select(NoteVersion)
            .where(NoteVersion.booking_id == booking_id, NoteVersion.audience.in_(audiences))
            .order_by(NoteVersion.audience, NoteVersion.version.desc())
        )
    ).all()
