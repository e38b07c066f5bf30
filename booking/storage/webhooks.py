"""Provider events already acted on, by event id: a replayed webhook changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime


class WebhookEvent(Base):
    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def seen(session: AsyncSession, provider: str, event_id: str) -> bool:
    query = select(WebhookEvent.event_id).where(
        WebhookEvent.provider == provider, WebhookEvent.event_id == event_id
    )
    return (await session.scalar(query)) is not None
