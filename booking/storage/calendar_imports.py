"""A coach's imported calendars and the busy intervals read from them.

`imported_calendars` has a row per connected calendar: its kind (`ical` or `caldav`), a label,
the host it is read from (shown in lists; not secret), the source itself sealed in `source`
(URL, and for CalDAV the user name and password: a secret iCal URL is a credential), the
outcome of the last refresh (`status`, `last_error`, `last_success_at`) and a lease
(`claim`, `claimed_until`) so that one process at a time refreshes it. `imported_busy` holds
only start and end of each busy interval, never what the event is; a refresh replaces a
calendar's intervals in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from realtime.db import Base, UtcDateTime


class ImportedCalendar(Base):
    __tablename__ = "imported_calendars"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # ical | caldav
    label: Mapped[str] = mapped_column(String(80))
    host: Mapped[str] = mapped_column(String(255))
    source: Mapped[bytes] = mapped_column(LargeBinary)  # sealed JSON
    status: Mapped[str] = mapped_column(String(8))  # ok | failing
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    last_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    busy_count: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ImportedBusy(Base):
    __tablename__ = "imported_busy"
    __table_args__ = (Index("ix_imported_busy_coach", "coach_id", "starts_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    calendar_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("imported_calendars.id", ondelete="CASCADE"), index=True
    )
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)


def read_now(
    calendar_id: uuid.UUID,
    coach_id: uuid.UUID,
    *,
    kind: str,
    label: str,
    host: str,
    source: bytes,
    busy_count: int,
    now: datetime,
) -> ImportedCalendar:
    """A newly imported calendar, read successfully `now`."""
    return ImportedCalendar(
        id=calendar_id,
        coach_id=coach_id,
        kind=kind,
        label=label,
        host=host,
        source=source,
        status="ok",
        last_error=None,
        last_success_at=now,
        last_attempt_at=now,
        busy_count=busy_count,
        created_at=now,
    )


async def of_coach(session: AsyncSession, coach_id: uuid.UUID) -> list[ImportedCalendar]:
    rows = await session.scalars(
        select(ImportedCalendar)
        .where(ImportedCalendar.coach_id == coach_id)
        .order_by(ImportedCalendar.created_at, ImportedCalendar.id)
    )
    return list(rows)


async def one_of_coach(
    session: AsyncSession, coach_id: uuid.UUID, calendar_id: uuid.UUID
) -> ImportedCalendar | None:
    row = await session.get(ImportedCalendar, calendar_id)
    return row if row is not None and row.coach_id == coach_id else None


async def remove(session: AsyncSession, calendar_id: uuid.UUID) -> None:
    await session.execute(delete(ImportedBusy).where(ImportedBusy.calendar_id == calendar_id))
    await session.execute(delete(ImportedCalendar).where(ImportedCalendar.id == calendar_id))


async def replace_busy(
    session: AsyncSession,
    calendar: ImportedCalendar,
    intervals: Sequence[tuple[datetime, datetime]],
) -> None:
    """The calendar's busy intervals become `intervals` (in the caller's transaction)."""
    await session.execute(delete(ImportedBusy).where(ImportedBusy.calendar_id == calendar.id))
    if intervals:
        await session.execute(
            insert(ImportedBusy),
            [
                {
                    "calendar_id": calendar.id,
                    "coach_id": calendar.coach_id,
                    "starts_at": s,
                    "ends_at": e,
                }
                for s, e in intervals
            ],
        )


async def busy_of(session: AsyncSession, calendar_id: uuid.UUID) -> list[tuple[datetime, datetime]]:
    rows = await session.execute(
        select(ImportedBusy.starts_at, ImportedBusy.ends_at)
        .where(ImportedBusy.calendar_id == calendar_id)
        .order_by(ImportedBusy.starts_at)
    )
    return [(s, e) for s, e in rows]


async def due(session: AsyncSession, attempted_before: datetime, now: datetime) -> list[uuid.UUID]:
    """Calendars last tried before `attempted_before` whose lease is free, oldest first."""
    rows = await session.scalars(
        select(ImportedCalendar.id)
        .where(ImportedCalendar.last_attempt_at < attempted_before, lease_free(now))
        .order_by(ImportedCalendar.last_attempt_at)
        .limit(100)
    )
    return list(rows)


def lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(ImportedCalendar.claimed_until.is_(None), ImportedCalendar.claimed_until < now)


async def take_lease(
    session: AsyncSession, calendar_id: uuid.UUID, claim: str, now: datetime, until: datetime
) -> bool:
    """Compare-and-set: the calendar is ours to refresh until `until`, unless another holds it."""
    result = await session.execute(
        update(ImportedCalendar)
        .where(ImportedCalendar.id == calendar_id, lease_free(now))
        .values(claim=claim, claimed_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claimed(
    session: AsyncSession, calendar_id: uuid.UUID, claim: str
) -> ImportedCalendar | None:
    """The calendar, locked, if the claim is still ours."""
    row = await session.scalar(
        select(ImportedCalendar)
        .where(ImportedCalendar.id == calendar_id, ImportedCalendar.claim == claim)
        .with_for_update()
    )
    return row
