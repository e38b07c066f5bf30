"""Coaches a client saved."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime


class Favourite(Base):
    __tablename__ = "favourites"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def add(session: AsyncSession, user_id: uuid.UUID, coach_id: uuid.UUID, at: datetime) -> None:
    """Save the coach (nothing changes if already saved)."""
    values = {"user_id": user_id, "coach_id": coach_id, "created_at": at}
    insert = (
        postgresql.insert(Favourite)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(Favourite)
    )
    await session.execute(insert.values(values).on_conflict_do_nothing())


async def remove(session: AsyncSession, user_id: uuid.UUID, coach_id: uuid.UUID) -> None:
    await session.execute(
        delete(Favourite).where(Favourite.user_id == user_id, Favourite.coach_id == coach_id)
    )


async def coach_ids(session: AsyncSession, user_id: uuid.UUID, limit: int) -> list[uuid.UUID]:
    """The coaches the user saved, newest first."""
    query = (
        select(Favourite.coach_id)
        .where(Favourite.user_id == user_id)
        .order_by(Favourite.created_at.desc(), Favourite.coach_id)
        .limit(limit)
    )
    return list(await session.scalars(query))
