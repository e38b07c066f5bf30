"""Ending login sessions: the one statement "log out everywhere", resets and changes share."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.auth.models import AuthSession


async def revoke_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """End the user's login sessions (but `keep`): their refresh and access tokens stop.
    Returns the ids of the sessions it ended, whose sockets must go too."""
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    ended = await session.execute(query.values(revoked_at=now).returning(AuthSession.id))
    return list(ended.scalars())
