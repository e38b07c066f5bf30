"""A coach's availability rules beyond weekly hours: settings, date overrides and time off."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class ScheduleSettings(Base):
    """How a coach's calendar turns into slots (see booking.policy.slots). One row per coach;
    a coach without a row has the defaults below."""

    __tablename__ = "schedule_settings"
    __table_args__ = (
        CheckConstraint("slot_interval IN (5, 10, 15, 20, 30, 60)", name="interval"),
        CheckConstraint("buffer_before BETWEEN 0 AND 120", name="buffer_before"),
        CheckConstraint("buffer_after BETWEEN 0 AND 120", name="buffer_after"),
        CheckConstraint("min_notice BETWEEN 0 AND 20160", name="notice"),
        CheckConstraint("max_advance_days BETWEEN 1 AND 365", name="advance"),
    )

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    slot_interval: Mapped[int] = mapped_column(SmallInteger, default=30)  # minutes
    buffer_before: Mapped[int] = mapped_column(SmallInteger, default=0)  # minutes
    buffer_after: Mapped[int] = mapped_column(SmallInteger, default=10)  # minutes
    min_notice: Mapped[int] = mapped_column(SmallInteger, default=720)  # minutes
    max_advance_days: Mapped[int] = mapped_column(SmallInteger, default=90)


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
