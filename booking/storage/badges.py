"""Specialisation badges ("Certified Gottman therapist") that admins grant to coaches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime


class Badge(Base):
    __tablename__ = "badges"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


class CoachBadge(Base):
    __tablename__ = "coach_badges"

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    badge: Mapped[str] = mapped_column(ForeignKey("badges.slug"), primary_key=True)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def listing(session: AsyncSession) -> list[Badge]:
    return list(await session.scalars(select(Badge).order_by(Badge.name)))


async def grant(
    session: AsyncSession, coach_id: uuid.UUID, slug: str, by: uuid.UUID, at: datetime
) -> bool:
    """Give the coach the badge; False if they already had it."""
    values = {"coach_id": coach_id, "badge": slug, "granted_by": by, "granted_at": at}
    insert = (
        postgresql.insert(CoachBadge)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(CoachBadge)
    )
    result = await session.execute(insert.values(values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


async def revoke(session: AsyncSession, coach_id: uuid.UUID, slug: str) -> bool:
    """Take the badge away; False if the coach did not have it."""
    result = await session.execute(
        delete(CoachBadge).where(CoachBadge.coach_id == coach_id, CoachBadge.badge == slug)
    )
    return bool(getattr(result, "rowcount", 0))
