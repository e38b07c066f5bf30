"""The managed list of specialties coaches may claim."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base


class Specialty(Base):
    __tablename__ = "specialties"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")


async def listing(session: AsyncSession) -> list[Specialty]:
    """Every specialty, by name."""
    return list(await session.scalars(select(Specialty).order_by(Specialty.name)))


async def known(session: AsyncSession, slugs: Iterable[str]) -> set[str]:
    """Those of `slugs` that are on the managed list."""
    wanted = set(slugs)
    if not wanted:
        return set()
    rows = await session.scalars(select(Specialty.slug).where(Specialty.slug.in_(wanted)))
    return set(rows)
