"""Shared resources and coaches' libraries: one row each, its title, link or file name sealed.

A row with a `booking_id` is shared into that session (sealed in the booking's scope); a row
without one is in its owner's library (sealed in the owner's user scope). A file's bytes are
in the blob store under `blob_key(id)`, sealed in chunks bound to the row's id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (
        Index("ix_resources_booking", "booking_id", "created_at"),
        Index("ix_resources_library", "owner_id", "booking_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE")
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(8))  # "link" or "file"
    meta: Mapped[bytes] = mapped_column(LargeBinary)  # sealed JSON: title, url or file name
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def item_id(resource_id: uuid.UUID) -> str:
    """The vault item of a resource's title and link or name; its file's chunks are
    `<item>#<index>`."""
    return f"resource:{resource_id}"


def blob_key(resource_id: uuid.UUID) -> str:
    return f"resources/{resource_id}"


async def of_booking(session: AsyncSession, booking_id: uuid.UUID) -> Sequence[Resource]:
    return (
        await session.scalars(
            select(Resource)
            .where(Resource.booking_id == booking_id)
            .order_by(Resource.created_at, Resource.id)
        )
    ).all()


async def library(session: AsyncSession, owner_id: uuid.UUID) -> Sequence[Resource]:
    return (
        await session.scalars(
            select(Resource)
            .where(Resource.owner_id == owner_id, Resource.booking_id.is_(None))
            .order_by(Resource.created_at, Resource.id)
        )
    ).all()


async def count_files(session: AsyncSession, booking_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Resource)
        .where(Resource.booking_id == booking_id, Resource.kind == "file")
    )
    return found or 0


async def library_usage(session: AsyncSession, owner_id: uuid.UUID) -> tuple[int, int]:
    """How many items the owner's library holds and their total bytes."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Resource.size), 0)).where(
                Resource.owner_id == owner_id, Resource.booking_id.is_(None)
            )
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)
