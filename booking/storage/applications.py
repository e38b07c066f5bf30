"""Coach applications, their references, the professional agreement and the audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class Agreement(Base):
    """A published version of the professional agreement. The newest is the one to accept."""

    __tablename__ = "agreements"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CoachApplication(Base):
    """One application (or re-verification) of a coach: pending, approved or rejected."""

    __tablename__ = "coach_applications"
    __table_args__ = (
        Index("ix_coach_applications_coach", "coach_id"),
        Index("ix_coach_applications_status", "status", "submitted_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    # initial | reverification
    kind: Mapped[str] = mapped_column(String(16), default="initial")
    # pending | approved | rejected
    status: Mapped[str] = mapped_column(String(16), default="pending")
    agreement_version: Mapped[str] = mapped_column(ForeignKey("agreements.version"))
    agreement_accepted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)


class ProfessionalReference(Base):
    __tablename__ = "professional_references"
    __table_args__ = (Index("ix_professional_references_application", "application_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coach_applications.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    relationship: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), default=None)


class ApplicationEvent(Base):
    """Every step of an application, in order: submitted, approved, rejected, lapsed, ..."""

    __tablename__ = "application_events"
    __table_args__ = (Index("ix_application_events_application", "application_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coach_applications.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
