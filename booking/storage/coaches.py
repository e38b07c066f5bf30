"""Coach profiles and what the directory filters on: specialties, languages, offerings,
credentials and weekly hours."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class Coach(Base):
    """A coach's profile. Listed in the directory only while `verification_status` is
    `verified` and `reverify_by` is in the future."""

    __tablename__ = "coaches"
    __table_args__ = (
        CheckConstraint("commission_bps BETWEEN 1500 AND 2500", name="commission_range"),
        CheckConstraint("rating_x100 BETWEEN 0 AND 500", name="rating_range"),
        Index("ix_coaches_listed_rank", "verification_status", "rank_score", "id"),
        Index("ix_coaches_listed_rating", "verification_status", "rating_x100", "id"),
        Index("ix_coaches_listed_price", "verification_status", "min_rate_minor", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(120))
    photo_url: Mapped[str | None] = mapped_column(String(500), default=None)
    bio: Mapped[str] = mapped_column(Text, default="")
    approach: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))
    years_experience: Mapped[int] = mapped_column(SmallInteger, default=0)
    # ISO 4217; every rate of this coach is in this currency.
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # pending (applied, not yet approved) | verified | rejected | suspended
    verification_status: Mapped[str] = mapped_column(String(16), default="pending")
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Next re-verification date; past it, verification has lapsed and the coach is hidden.
    reverify_by: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Platform commission in basis points (1500-2500), set by admins (tier).
    commission_bps: Mapped[int] = mapped_column(Integer, default=2000)
    # Rating summary, kept in step with reviews: average x100 (e.g. 475 = 4.75), count, and the
    # relevance score (a Bayesian average x1000, see booking.policy.ranking).
    rating_x100: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rank_score: Mapped[int] = mapped_column(Integer, default=0)
    # Lowest hourly rate across offerings, for price sorting without a session type.
    min_rate_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CoachSpecialty(Base):
    __tablename__ = "coach_specialties"
    __table_args__ = (Index("ix_coach_specialties_slug", "specialty", "coach_id"),)

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    specialty: Mapped[str] = mapped_column(ForeignKey("specialties.slug"), primary_key=True)


class CoachLanguage(Base):
    """A language the coach works in, as a canonical BCP 47 tag and its primary subtag, so
    `language=pt` finds `pt-BR` and `pt-PT` while `language=pt-BR` finds only `pt-BR`."""

    __tablename__ = "coach_languages"
    __table_args__ = (
        Index("ix_coach_languages_tag", "tag", "coach_id"),
        Index("ix_coach_languages_primary", "primary_tag", "coach_id"),
    )

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(35), primary_key=True)
    primary_tag: Mapped[str] = mapped_column(String(8))


class CoachOffering(Base):
    """A session type the coach offers, its hourly rate (integer minor units of the coach's
    currency) and the durations in minutes it can be booked for."""

    __tablename__ = "coach_offerings"
    __table_args__ = (
        CheckConstraint("rate_minor > 0", name="rate_positive"),
        CheckConstraint("session_type IN ('video', 'phone', 'chat')", name="session_type"),
        Index("ix_coach_offerings_type_rate", "session_type", "rate_minor", "coach_id"),
    )

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    session_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    rate_minor: Mapped[int] = mapped_column(Integer)
    durations: Mapped[list[int]] = mapped_column(JSON)


class Credential(Base):
    """A professional licence or certification."""

    __tablename__ = "credentials"
    __table_args__ = (Index("ix_credentials_coach", "coach_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    license_type: Mapped[str] = mapped_column(String(120))
    license_number: Mapped[str] = mapped_column(String(64))
    # ISO 3166-1 alpha-2 country and, where licences are issued by a state, its ISO 3166-2 code.
    issuing_country: Mapped[str] = mapped_column(String(2))
    issuing_region: Mapped[str | None] = mapped_column(String(6), default=None)
    expires_on: Mapped[date] = mapped_column(Date)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class WeeklyHours(Base):
    """A recurring range of the coach's week, in the coach's own time zone: weekday 0 is
    Monday, minutes from local midnight, end exclusive. Issue 3 adds overrides and time off."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="minutes",
        ),
        Index("ix_weekly_hours_coach", "coach_id", "weekday"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)
