"""A coach's availability rules beyond weekly hours: settings, date overrides and time off."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Uuid,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class ScheduleSettings(Base):
    """How a coach's calendar turns into slots (see booking.policy.slots). One row per coach;
    a coach without a row has the defaults below."""

    __tablename__ = "schedule_settings"
    __table_args__ = (
        CheckConstraint(
            "slot_interval BETWEEN 5 AND 240 AND slot_interval % 5 = 0", name="interval"
        ),
        CheckConstraint("buffer_before BETWEEN 0 AND 120", name="buffer_before"),
        CheckConstraint("buffer_after BETWEEN 0 AND 120", name="buffer_after"),
        CheckConstraint("min_notice BETWEEN 0 AND 20160", name="notice"),
        CheckConstraint("max_advance_days BETWEEN 0 AND 365", name="advance"),
    )

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    slot_interval: Mapped[int] = mapped_column(SmallInteger, default=30)  # minutes
    buffer_before: Mapped[int] = mapped_column(SmallInteger, default=0)  # minutes
    buffer_after: Mapped[int] = mapped_column(SmallInteger, default=10)  # minutes
    min_notice: Mapped[int] = mapped_column(SmallInteger, default=720)  # minutes
    max_advance_days: Mapped[int | None] = mapped_column(SmallInteger, default=90)  # None: no limit
    bookable_until: Mapped[date | None] = mapped_column(Date, default=None)  # coach's zone


class DateOverride(Base):
    """Replaces the weekly hours of one local date. A row with no minutes closes the day; a
    date with several rows is open in each range."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR "
            "(start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name="minutes",
        ),
        Index("ix_date_overrides_coach_day", "coach_id", "on_date"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    on_date: Mapped[date] = mapped_column(Date)
    start_minute: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    end_minute: Mapped[int | None] = mapped_column(SmallInteger, default=None)


class TimeOff(Base):
    """An absolute interval in which the coach takes no sessions (holiday, conference)."""

    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="order"),
        Index("ix_time_off_coach", "coach_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")


async def settings_of(session: AsyncSession, coach_id: uuid.UUID) -> ScheduleSettings:
    """The coach's settings, or the defaults (not stored) if they never changed them."""
    found = await session.get(ScheduleSettings, coach_id)
    if found is not None:
        return found
    defaults = ScheduleSettings(coach_id=coach_id)
    for column in ScheduleSettings.__table__.columns:
        if getattr(defaults, column.key) is None and column.default is not None:
            setattr(defaults, column.key, column.default.arg)
    return defaults


async def overrides_between(
    session: AsyncSession, coach_id: uuid.UUID, first: date, last: date
) -> list[DateOverride]:
    rows = await session.scalars(
        select(DateOverride)
        .where(
            DateOverride.coach_id == coach_id,
            DateOverride.on_date >= first,
            DateOverride.on_date <= last,
        )
        .order_by(DateOverride.on_date, DateOverride.start_minute)
    )
    return list(rows.all())


async def time_off_between(
    session: AsyncSession, coach_id: uuid.UUID, start: datetime, end: datetime
) -> list[TimeOff]:
    rows = await session.scalars(
        select(TimeOff)
        .where(TimeOff.coach_id == coach_id, TimeOff.starts_at < end, TimeOff.ends_at > start)
        .order_by(TimeOff.starts_at)
    )
    return list(rows.all())


async def replace_overrides(
    session: AsyncSession, coach_id: uuid.UUID, on_date: date, ranges: list[tuple[int, int]]
) -> None:
    """Set one date's override: `ranges` replace the weekly hours; no ranges close the day."""
    await session.execute(
        delete(DateOverride).where(
            DateOverride.coach_id == coach_id, DateOverride.on_date == on_date
        )
    )
    if not ranges:
        session.add(DateOverride(coach_id=coach_id, on_date=on_date))
    for start, end in ranges:
        session.add(
            DateOverride(coach_id=coach_id, on_date=on_date, start_minute=start, end_minute=end)
        )


async def clear_override(session: AsyncSession, coach_id: uuid.UUID, on_date: date) -> bool:
    result = await session.execute(
        delete(DateOverride).where(
            DateOverride.coach_id == coach_id, DateOverride.on_date == on_date
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def put_settings(
    session: AsyncSession,
    coach_id: uuid.UUID,
    *,
    slot_interval: int,
    buffer_before: int,
    buffer_after: int,
    min_notice: int,
    max_advance_days: int | None,
    bookable_until: date | None,
) -> ScheduleSettings:
    """Store the coach's settings, creating their row on first change."""
    row = await session.get(ScheduleSettings, coach_id, with_for_update=True)
    if row is None:
        row = ScheduleSettings(coach_id=coach_id)
        session.add(row)
    row.slot_interval = slot_interval
    row.buffer_before = buffer_before
    row.buffer_after = buffer_after
    row.min_notice = min_notice
    row.max_advance_days = max_advance_days
    row.bookable_until = bookable_until
    await session.flush()
    if max_advance_days is None and row.max_advance_days is not None:
        # The ORM writes a column's default for a None on insert; no limit is a real NULL.
        row.max_advance_days = None
        await session.flush()
    return row


async def time_off_after(
    session: AsyncSession, coach_id: uuid.UUID, after: datetime
) -> list[TimeOff]:
    """The coach's time off that has not ended by `after`, soonest first."""
    rows = await session.scalars(
        select(TimeOff)
        .where(TimeOff.coach_id == coach_id, TimeOff.ends_at > after)
        .order_by(TimeOff.starts_at)
    )
    return list(rows.all())


async def remove_time_off(
    session: AsyncSession, coach_id: uuid.UUID, time_off_id: uuid.UUID
) -> TimeOff | None:
    """Delete one of the coach's time off entries; the deleted row, or None if they have no such
    entry."""
    row = await session.get(TimeOff, time_off_id)
    if row is None or row.coach_id != coach_id:
        return None
    await session.delete(row)
    return row
