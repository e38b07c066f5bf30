"""Reading the professional agreement (the model lives with the applications that accept it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.storage.applications import Agreement


async def current(session: AsyncSession) -> Agreement | None:
    """The newest published version: the one applicants accept."""
    query = select(Agreement).order_by(Agreement.published_at.desc(), Agreement.version.desc())
    return (await session.scalars(query.limit(1))).first()
