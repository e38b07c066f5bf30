"""Specialisation badges ("Certified Gottman therapist") that admins grant to coaches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
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
