"""Coach profiles and what the directory filters on: specialties, languages, offerings,
credentials and weekly hours.

The directory reads its filters from columns of `coaches` that repeat the link tables in a form
one row can answer (`booking/storage/directory.py` says why; `booking/storage/search_keys.py`
how they are written): `search_tokens`, an hourly rate per session type (`video_rate_minor`,
...), one slot mask of the weekly hours per weekday (`hours_mask_0` for Monday to
`hours_mask_6`) and `hour_keys` (zone and weekly hours, for the index). The `replace_*`
functions below are the only writers of the link tables and rewrite the matching columns in the
same transaction, so the two stay in step; `refresh_hour_keys` follows a change of time zone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    CompoundSelect,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
    any_,
    bindparam,
    case,
    cast,
    delete,
    false,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from booking.storage.badges import Badge, CoachBadge
from booking.storage.search_keys import (
    hour_keys,
    hours_masks,
    language_token,
    price_token,
    primary_language_token,
    retokened,
    session_type_token,
    specialty_token,
)
from booking.storage.specialties import Specialty
from realtime.db import Base, UtcDateTime, new_id

# Arrays on PostgreSQL (GIN-indexed, `@>` and `&&`); JSON lists on SQLite (`json_each`).
TOKENS = ARRAY(Text).with_variant(JSON(), "sqlite")
KEYS = ARRAY(Integer).with_variant(JSON(), "sqlite")


class Coach(Base):
    """A coach's profile. Listed in the directory only while `verification_status` is
    `verified` and `reverify_by` is in the future."""

    __tablename__ = "coaches"
    __table_args__ = (
        CheckConstraint("commission_bps BETWEEN 1500 AND 2500", name="commission_range"),
        CheckConstraint("rating_x100 BETWEEN 0 AND 500", name="rating_range"),
        Index("ix_coaches_listed_rank", "verification_status", "rank_score", "id"),
        Index(
            "ix_coaches_listed_rating", "verification_status", "rating_x100", "rating_count", "id"
        ),
        Index("ix_coaches_listed_price", "verification_status", "min_rate_minor", "id"),
        Index("ix_coaches_listed_video", "verification_status", "video_rate_minor", "id"),
        Index("ix_coaches_listed_phone", "verification_status", "phone_rate_minor", "id"),
        Index("ix_coaches_listed_chat", "verification_status", "chat_rate_minor", "id"),
        # The directory reads the distinct zones in use by skipping along this index.
        Index("ix_coaches_time_zone", "time_zone"),
        # Finds the coaches with given tokens and hours (PostgreSQL; on SQLite a plain index
        # the directory does not use).
        Index("ix_coaches_search", "search_tokens", "hour_keys", postgresql_using="gin"),
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
    # The start of the coach's earliest free slot (any type and length offered), for the
    # directory's cards, and when it was worked out (booking.services.openings keeps both).
    next_available_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    next_available_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # What the directory filters on, repeated from the link tables (see the module docstring).
    search_tokens: Mapped[list[str]] = mapped_column(TOKENS, default=list)
    video_rate_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    phone_rate_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    chat_rate_minor: Mapped[int | None] = mapped_column(Integer, default=None)
    hours_mask_0: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_1: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_2: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_3: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_4: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_5: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hours_mask_6: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hour_keys: Mapped[list[int]] = mapped_column(KEYS, default=list)


RATES: dict[str, InstrumentedAttribute[int | None]] = {
    "video": Coach.video_rate_minor,
    "phone": Coach.phone_rate_minor,
    "chat": Coach.chat_rate_minor,
}
HOURS_MASKS: tuple[InstrumentedAttribute[int], ...] = (
    Coach.hours_mask_0,
    Coach.hours_mask_1,
    Coach.hours_mask_2,
    Coach.hours_mask_3,
    Coach.hours_mask_4,
    Coach.hours_mask_5,
    Coach.hours_mask_6,
)


class CoachSpecialty(Base):
    __tablename__ = "coach_specialties"

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    specialty: Mapped[str] = mapped_column(ForeignKey("specialties.slug"), primary_key=True)


class CoachLanguage(Base):
    """A language the coach works in, as a canonical BCP 47 tag and its primary subtag, so
    `language=pt` finds `pt-BR` and `pt-PT` while `language=pt-BR` finds only `pt-BR`."""

    __tablename__ = "coach_languages"

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(35), primary_key=True)
    primary_tag: Mapped[str] = mapped_column(String(8))


class CoachOffering(Base):
    """A session type the coach offers, its hourly rate (integer minor units of the coach's
    currency), the durations in minutes it can be booked for, and (`dial_in`, video only)
    whether its clients may join by telephone (docs/phone.md; a phone session always may)."""

    __tablename__ = "coach_offerings"
    __table_args__ = (
        CheckConstraint("rate_minor > 0", name="rate_positive"),
        CheckConstraint("session_type IN ('video', 'phone', 'chat')", name="session_type"),
    )

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    session_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    rate_minor: Mapped[int] = mapped_column(Integer)
    durations: Mapped[list[int]] = mapped_column(JSON)
    dial_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Credential(Base):
    """A professional licence or certification, as submitted with one application. A coach's
    current credentials are those of their latest approved application."""

    __tablename__ = "credentials"
    __table_args__ = (
        Index("ix_credentials_coach", "coach_id"),
        Index("ix_credentials_application", "application_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coach_applications.id", ondelete="CASCADE")
    )
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


@dataclass(frozen=True)
class Named:
    slug: str
    name: str


@dataclass(frozen=True)
class Offered:
    session_type: str
    rate_minor: int
    durations: list[int]
    dial_in: bool = False


@dataclass
class CoachLists:
    """What a coach's card shows from the link tables."""

    specialties: list[Named] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    offerings: list[Offered] = field(default_factory=list)
    badges: list[Named] = field(default_factory=list)


async def by_user(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> Coach | None:
    query = select(Coach).where(Coach.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def by_id(session: AsyncSession, coach_id: uuid.UUID, *, lock: bool = False) -> Coach | None:
    query = select(Coach).where(Coach.id == coach_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def replace_specialties(
    session: AsyncSession, coach_id: uuid.UUID, slugs: Collection[str]
) -> None:
    await session.execute(delete(CoachSpecialty).where(CoachSpecialty.coach_id == coach_id))
    session.add_all(CoachSpecialty(coach_id=coach_id, specialty=slug) for slug in slugs)
    coach = await _coach(session, coach_id)
    coach.search_tokens = retokened(coach.search_tokens, "s:", map(specialty_token, slugs))


async def replace_languages(
    session: AsyncSession, coach_id: uuid.UUID, tags: Collection[tuple[str, str]]
) -> None:
    """Replace the coach's languages with these (canonical tag, primary subtag) pairs."""
    await session.execute(delete(CoachLanguage).where(CoachLanguage.coach_id == coach_id))
    session.add_all(
        CoachLanguage(coach_id=coach_id, tag=tag, primary_tag=primary) for tag, primary in tags
    )
    coach = await _coach(session, coach_id)
    spoken = [
        t for tag, primary in tags for t in (language_token(tag), primary_language_token(primary))
    ]
    coach.search_tokens = retokened(coach.search_tokens, ("l:", "lp:"), spoken)


async def replace_offerings(
    session: AsyncSession,
    coach_id: uuid.UUID,
    offerings: Collection[tuple[str, int, list[int], bool]],
) -> None:
    """Replace the coach's offerings with these (session type, hourly rate, durations,
    dial-in)."""
    await session.execute(delete(CoachOffering).where(CoachOffering.coach_id == coach_id))
    session.add_all(
        CoachOffering(
            coach_id=coach_id,
            session_type=kind,
            rate_minor=rate,
            durations=durations,
            dial_in=dial_in,
        )
        for kind, rate, durations, dial_in in offerings
    )
    coach = await _coach(session, coach_id)
    rates = {kind: rate for kind, rate, _, _ in offerings}
    for kind, column in RATES.items():
        setattr(coach, column.key, rates.get(kind))
    offered = [
        *map(session_type_token, rates),
        *(price_token(kind, coach.currency, rate) for kind, rate in rates.items()),
    ]
    coach.search_tokens = retokened(coach.search_tokens, ("t:", "p:"), offered)


async def replace_weekly_hours(
    session: AsyncSession, coach_id: uuid.UUID, ranges: Collection[tuple[int, int, int]]
) -> None:
    """Replace the coach's weekly hours with these (weekday, start minute, end minute)."""
    await session.execute(delete(WeeklyHours).where(WeeklyHours.coach_id == coach_id))
    session.add_all(
        WeeklyHours(coach_id=coach_id, weekday=day, start_minute=start, end_minute=end)
        for day, start, end in ranges
    )
    coach = await _coach(session, coach_id)
    for column, mask in zip(HOURS_MASKS, hours_masks(ranges), strict=True):
        setattr(coach, column.key, mask)
    refresh_hour_keys(coach)


def refresh_hour_keys(coach: Coach) -> None:
    """Recompute `hour_keys` from the coach's zone and masks (after either changes)."""
    masks = [getattr(coach, column.key) or 0 for column in HOURS_MASKS]  # 0 before a flush
    coach.hour_keys = hour_keys(coach.time_zone, masks)


async def _coach(session: AsyncSession, coach_id: uuid.UUID) -> Coach:
    coach = await session.get(Coach, coach_id)
    if coach is None:
        raise LookupError(f"no coach {coach_id}")
    return coach


async def weekly_hours(session: AsyncSession, coach_id: uuid.UUID) -> list[WeeklyHours]:
    query = (
        select(WeeklyHours)
        .where(WeeklyHours.coach_id == coach_id)
        .order_by(WeeklyHours.weekday, WeeklyHours.start_minute)
    )
    return list(await session.scalars(query))


async def lists_for(
    session: AsyncSession, coach_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CoachLists]:
    """Specialties and badges (by name), languages and offerings of each coach, in one round
    trip: the four link tables as one UNION ALL of (coach, kind, text, text, number) rows (an
    offering's kind says whether it has dial-in: `O`, else `o`)."""
    found = {coach_id: CoachLists() for coach_id in coach_ids}
    if not coach_ids:
        return found
    query = _LISTS[session.get_bind().dialect.name == "postgresql"]
    for coach_id, kind, first, second, number in await session.execute(
        query, {"ids": list(coach_ids)}
    ):
        lists = found[coach_id]
        if kind == "s":
            lists.specialties.append(Named(first, second))
        elif kind == "l":
            lists.languages.append(first)
        elif kind in ("o", "O"):  # "O": an offering with dial-in
            lists.offerings.append(
                Offered(first, int(number), json.loads(second), dial_in=kind == "O")
            )
        else:
            lists.badges.append(Named(first, second))
    order = {"video": 0, "phone": 1, "chat": 2}
    for lists in found.values():
        lists.specialties.sort(key=lambda n: n.name)
        lists.languages.sort()
        lists.offerings.sort(key=lambda o: order.get(o.session_type, 9))
        lists.badges.sort(key=lambda n: n.name)
    return found


def _lists_query(postgres: bool) -> CompoundSelect[*tuple[Any, ...]]:
    """The statement of `lists_for`, built once: the ids are one array on PostgreSQL (one
    value to send, not one per coach and table) and an expanding IN list on SQLite."""

    def among(coach_id: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
        if postgres:
            return coach_id == any_(bindparam("ids", type_=ARRAY(Uuid())))
        return coach_id.in_(bindparam("ids", expanding=True))

    no_text, no_number = literal(None, String), literal(None, Integer)
    return union_all(
        select(CoachSpecialty.coach_id, literal("s"), Specialty.slug, Specialty.name, no_number)
        .join(Specialty, Specialty.slug == CoachSpecialty.specialty)
        .where(among(CoachSpecialty.coach_id)),
        select(CoachLanguage.coach_id, literal("l"), CoachLanguage.tag, no_text, no_number).where(
            among(CoachLanguage.coach_id)
        ),
        select(
            CoachOffering.coach_id,
            case((CoachOffering.dial_in, literal("O")), else_=literal("o")),
            CoachOffering.session_type,
            cast(CoachOffering.durations, String),
            CoachOffering.rate_minor,
        ).where(among(CoachOffering.coach_id)),
        select(CoachBadge.coach_id, literal("b"), Badge.slug, Badge.name, no_number)
        .join(Badge, Badge.slug == CoachBadge.badge)
        .where(among(CoachBadge.coach_id)),
    )


_LISTS = {postgres: _lists_query(postgres) for postgres in (True, False)}


async def credentials_of(
    session: AsyncSession, application_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Credential]]:
    """The credentials submitted with each application."""
    found: dict[uuid.UUID, list[Credential]] = {app_id: [] for app_id in application_ids}
    if not application_ids:
        return found
    rows = await session.scalars(
        select(Credential)
        .where(Credential.application_id.in_(application_ids))
        .order_by(Credential.expires_on, Credential.license_type)
    )
    for credential in rows:
        found[credential.application_id].append(credential)
    return found


async def listed_among(
    session: AsyncSession, coach_ids: Collection[uuid.UUID], now: datetime
) -> list[Coach]:
    """Those of these coaches who are listed now (verified, re-verification not yet due; the
    rule of `booking.policy.verification.listed`, as SQL)."""
    if not coach_ids:
        return []
    query = select(Coach).where(
        Coach.id.in_(coach_ids),
        Coach.verification_status == "verified",
        Coach.reverify_by > now,
    )
    return list(await session.scalars(query))
