"""Coach applications, their references, the professional agreement and the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
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
    # initial | reverification | profile_change
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
    # A profile change: the name and photo the coach asked for, public once approved.
    proposed_display_name: Mapped[str | None] = mapped_column(String(120), default=None)
    proposed_photo_url: Mapped[str | None] = mapped_column(String(500), default=None)


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
    """Every step of a coach's verification, in order: submitted, approved, rejected for an
    application; commission_changed, badge_granted, badge_revoked for the coach alone (no
    application)."""

    __tablename__ = "application_events"
    __table_args__ = (
        Index("ix_application_events_application", "application_id", "at"),
        Index("ix_application_events_coach", "coach_id", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    application_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("coach_applications.id", ondelete="CASCADE"), default=None
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    # The event's place in the coach's trail (1, 2, ...), so that steps taken within the same
    # clock tick keep their order.
    seq: Mapped[int] = mapped_column(Integer, default=0)


async def by_id(
    session: AsyncSession, application_id: uuid.UUID, *, lock: bool = False
) -> CoachApplication | None:
    query = select(CoachApplication).where(CoachApplication.id == application_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def pending_for(session: AsyncSession, coach_id: uuid.UUID) -> CoachApplication | None:
    query = select(CoachApplication).where(
        CoachApplication.coach_id == coach_id, CoachApplication.status == "pending"
    )
    return (await session.scalars(query.limit(1))).first()


async def of_coach(session: AsyncSession, coach_id: uuid.UUID) -> list[CoachApplication]:
    """The coach's applications, newest first."""
    query = (
        select(CoachApplication)
        .where(CoachApplication.coach_id == coach_id)
        .order_by(CoachApplication.submitted_at.desc(), CoachApplication.id.desc())
    )
    return list(await session.scalars(query))


async def latest_approved(session: AsyncSession, coach_id: uuid.UUID) -> CoachApplication | None:
    """The application whose credentials are the coach's current ones."""
    query = (
        select(CoachApplication)
        .where(CoachApplication.coach_id == coach_id, CoachApplication.status == "approved")
        .order_by(CoachApplication.decided_at.desc(), CoachApplication.id.desc())
    )
    return (await session.scalars(query.limit(1))).first()


async def queue(
    session: AsyncSession,
    status: str,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[CoachApplication]:
    """Applications with this status, oldest first; `after` is the (submitted_at, id) of the
    last one already shown."""
    query = (
        select(CoachApplication)
        .where(CoachApplication.status == status)
        .order_by(CoachApplication.submitted_at, CoachApplication.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(
            tuple_(CoachApplication.submitted_at, CoachApplication.id) > tuple_(*after)
        )
    return list(await session.scalars(query))


async def references_of(
    session: AsyncSession, application_id: uuid.UUID
) -> list[ProfessionalReference]:
    query = (
        select(ProfessionalReference)
        .where(ProfessionalReference.application_id == application_id)
        .order_by(ProfessionalReference.name)
    )
    return list(await session.scalars(query))


def record(
    session: AsyncSession,
    *,
    coach_id: uuid.UUID,
    application_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    action: str,
    at: datetime,
    note: str | None = None,
) -> ApplicationEvent:
    """Add one step to the end of the coach's trail."""
    following = (
        select(func.coalesce(func.max(ApplicationEvent.seq), 0) + 1)
        .where(ApplicationEvent.coach_id == coach_id)
        .scalar_subquery()
    )
    event = ApplicationEvent(
        seq=following,
        coach_id=coach_id,
        application_id=application_id,
        actor_id=actor_id,
        action=action,
        at=at,
        note=note,
    )
    session.add(event)
    return event


async def events_of(
    session: AsyncSession, application_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[ApplicationEvent]]:
    """Each application's events, oldest first."""
    found: dict[uuid.UUID, list[ApplicationEvent]] = {app_id: [] for app_id in application_ids}
    if not application_ids:
        return found
    rows = await session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id.in_(application_ids))
        .order_by(ApplicationEvent.at, ApplicationEvent.seq, ApplicationEvent.id)
    )
    for event in rows:
        if event.application_id is not None:
            found[event.application_id].append(event)
    return found


async def coach_events(session: AsyncSession, coach_id: uuid.UUID) -> list[ApplicationEvent]:
    """Steps about the coach that belong to no application (commission, badges), oldest first."""
    query = (
        select(ApplicationEvent)
        .where(ApplicationEvent.coach_id == coach_id, ApplicationEvent.application_id.is_(None))
        .order_by(ApplicationEvent.at, ApplicationEvent.seq, ApplicationEvent.id)
    )
    return list(await session.scalars(query))
