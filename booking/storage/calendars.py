"""What a coach's calendar is made of, read in as few statements as the hot paths allow.

Holding a slot and listing a coach's free slots are the two busiest requests. Each reads, in two
statements of plain Core rows (not ORM objects: on these paths the ORM's unit of work costs more
CPU than the queries themselves):
- the coach's bookable facts: coach and the offering of the asked session type, one row; on
  PostgreSQL the same statement can take the coach's calendar lock (see `lock_key`);
- the calendar near a window: schedule settings, weekly hours, date overrides, time off, the
  live bookings and the busy time imported from the coach's own calendars, one UNION ALL; for
  a hold, with the client's holds counted in it too (the
  caps of booking.policy.holds).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import BindParameter

from booking.storage.bookings import LIVE_STATUSES, Booking, lock_key
from booking.storage.calendar_imports import ImportedBusy
from booking.storage.coaches import Coach, CoachOffering, WeeklyHours
from booking.storage.schedules import DateOverride, ScheduleSettings, TimeOff
from realtime.db import UtcDateTime


@dataclass(frozen=True)
class CoachFacts:
    """The coach as booking needs them, with the offering of one session type (None if the
    coach does not offer it)."""

    id: uuid.UUID
    user_id: uuid.UUID
    display_name: str
    time_zone: str
    currency: str
    commission_bps: int
    verification_status: str
    reverify_by: datetime | None
    rate_minor: int | None
    durations: list[int] | None
    dial_in: bool | None = None  # the offering lets clients join by telephone


@dataclass(frozen=True)
class SlotRules:
    """How a calendar turns into slots; minutes, except the horizon in days."""

    slot_interval: int
    buffer_before: int
    buffer_after: int
    min_notice: int
    max_advance_days: int | None
    bookable_until: date | None = None


@dataclass(frozen=True)
class Rules:
    """A coach's schedule settings and the rules near one window, as stored."""

    settings: SlotRules
    weekly: list[tuple[int, int, int]]  # weekday, start minute, end minute
    overrides: list[tuple[date, int | None, int | None]]  # a day with no minutes is closed
    time_off: list[tuple[datetime, datetime]]
    imported: list[tuple[datetime, datetime]] = field(default_factory=list)  # busy elsewhere


@dataclass(frozen=True)
class Taken:
    """A booking that takes calendar time: held, confirmed or in progress."""

    id: uuid.UUID
    status: str
    hold_expires_at: datetime | None
    blocked_from: datetime  # the blocked interval stored with the booking (buffers then)
    blocked_to: datetime
    starts_at: datetime  # the session itself
    ends_at: datetime


_FACTS = (
    select(
        Coach.id,
        Coach.user_id,
        Coach.display_name,
        Coach.time_zone,
        Coach.currency,
        Coach.commission_bps,
        Coach.verification_status,
        Coach.reverify_by,
        CoachOffering.rate_minor,
        CoachOffering.durations,
        CoachOffering.dial_in,
    )
    .select_from(Coach)
    .outerjoin(
        CoachOffering,
        and_(
            CoachOffering.coach_id == Coach.id,
            CoachOffering.session_type == bindparam("session_type"),
        ),
    )
    .where(Coach.id == bindparam("coach_id"))
)


def _advisory_lock(name: str) -> Any:
    return func.pg_advisory_xact_lock(func.hashtextextended(bindparam(name, type_=String), 0))


# The same, taking the calendar lock (PostgreSQL) in the same round trip; for a hold, the
# client's hold lock first (always in this order: nothing takes them the other way round).
_FACTS_LOCKING = _FACTS.add_columns(_advisory_lock("lock_key"))
_FACTS_LOCKING_CLIENT = _FACTS.add_columns(
    _advisory_lock("client_lock_key"), _advisory_lock("lock_key")
)


async def coach_facts(
    conn: AsyncConnection,
    coach_id: uuid.UUID,
    session_type: str,
    *,
    lock: bool = False,
    client_id: uuid.UUID | None = None,
) -> CoachFacts | None:
    """With `lock`, the coach's calendar stays locked until the transaction ends (PostgreSQL;
    SQLite has one writer at a time anyway), and with `client_id` too, the client's holds
    (see `ClientHolds`)."""
    params = {"coach_id": coach_id, "session_type": session_type}
    query = _FACTS
    if lock and conn.dialect.name == "postgresql":
        query, params["lock_key"] = _FACTS_LOCKING, lock_key(coach_id)
        if client_id is not None:
            query, params["client_lock_key"] = _FACTS_LOCKING_CLIENT, f"holds:{client_id}"
    row: Any = (await conn.execute(query, params)).first()
    return None if row is None else CoachFacts(*row[:11])


def _defaults() -> tuple[int, int, int, int, int, date | None]:
    """The settings of a coach who never changed them (the columns' defaults)."""
    columns = ScheduleSettings.__table__.columns
    names = ("slot_interval", "buffer_before", "buffer_after", "min_notice", "max_advance_days")
    values = [columns[name].default.arg for name in names]
    return (values[0], values[1], values[2], values[3], values[4], None)


_DEFAULTS = _defaults()


def _client_holds_branch() -> Any:
    """The `c` row of a hold's calendar: the client's live holds, those with this coach, and
    their holds that expired unpaid after `since`, with the oldest expiry among those. On the
    client's bookings index."""
    now = bindparam("now", type_=UtcDateTime)
    live = and_(Booking.status == "held", Booking.hold_expires_at > now)
    lapsed = Booking.hold_expires_at <= now
    no_int, no_date, no_time = literal(None, Integer), cast(null(), Date), cast(null(), UtcDateTime)

    def counted(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return select(
        literal("c"),
        counted(live),
        counted(and_(live, Booking.coach_id == bindparam("coach_id"))),
        counted(lapsed),
        *(no_int,) * 2,
        no_date,
        func.min(case((lapsed, Booking.hold_expires_at))),
        *(no_time,) * 2,
        cast(null(), Uuid),
        literal(None, String),
        no_time,
    ).where(
        Booking.client_id == bindparam("client_id"),
        Booking.status.in_(("held", "expired")),
        Booking.hold_expires_at > bindparam("since", type_=UtcDateTime),
    )


def _calendar_query(*, with_client: bool = False) -> CompoundSelect[Any]:
    """Rows of (kind, five numbers, a date, three times, an id, a word), each kind using the
    columns it needs: s settings, w weekly hours, o overrides, t time off, b bookings, i busy
    time imported from the coach's own calendars, and with
    `with_client` c, the client's holds (one row)."""
    no_int, no_date, no_time = literal(None, Integer), cast(null(), Date), cast(null(), UtcDateTime)
    no_id, no_word = cast(null(), Uuid), literal(None, String)
    coach: BindParameter[uuid.UUID] = bindparam("coach_id")
    span_from = bindparam("span_from", type_=UtcDateTime)
    span_to = bindparam("span_to", type_=UtcDateTime)
    client = (_client_holds_branch(),) if with_client else ()
    return union_all(
        select(
            literal("s", String),
            ScheduleSettings.slot_interval,
            ScheduleSettings.buffer_before,
            ScheduleSettings.buffer_after,
            ScheduleSettings.min_notice,
            ScheduleSettings.max_advance_days,
            ScheduleSettings.bookable_until,
            no_time,
            no_time,
            no_time,
            no_id,
            no_word,
            no_time,
        ).where(ScheduleSettings.coach_id == coach),
        select(
            literal("w"),
            WeeklyHours.weekday,
            WeeklyHours.start_minute,
            WeeklyHours.end_minute,
            *(no_int,) * 2,
            no_date,
            *(no_time,) * 3,
            no_id,
            no_word,
            no_time,
        ).where(WeeklyHours.coach_id == coach),
        select(
            literal("o"),
            DateOverride.start_minute,
            DateOverride.end_minute,
            *(no_int,) * 3,
            DateOverride.on_date,
            *(no_time,) * 3,
            no_id,
            no_word,
            no_time,
        ).where(
            DateOverride.coach_id == coach,
            DateOverride.on_date >= bindparam("first_day", type_=Date),
            DateOverride.on_date <= bindparam("last_day", type_=Date),
        ),
        select(
            literal("t"),
            *(no_int,) * 5,
            no_date,
            TimeOff.starts_at,
            TimeOff.ends_at,
            no_time,
            no_id,
            no_word,
            no_time,
        ).where(
            TimeOff.coach_id == coach, TimeOff.starts_at < span_to, TimeOff.ends_at > span_from
        ),
        select(
            literal("b"),
            Booking.duration,
            *(no_int,) * 4,
            no_date,
            Booking.blocked_from,
            Booking.blocked_to,
            Booking.hold_expires_at,
            Booking.id,
            Booking.status,
            Booking.starts_at,
        ).where(
            Booking.coach_id == coach,
            Booking.blocked_from < span_to,
            Booking.blocked_to > span_from,
            Booking.status.in_(LIVE_STATUSES),
        ),
        select(
            literal("i"),
            *(no_int,) * 5,
            no_date,
            ImportedBusy.starts_at,
            ImportedBusy.ends_at,
            no_time,
            no_id,
            no_word,
            no_time,
        ).where(
            ImportedBusy.coach_id == coach,
            ImportedBusy.starts_at < span_to,
            ImportedBusy.ends_at > span_from,
        ),
        *client,
    )


_CALENDAR = _calendar_query()
_CALENDAR_WITH_CLIENT = _calendar_query(with_client=True)


@dataclass(frozen=True)
class ClientHolds:
    """Whose holds to count with a calendar (`calendar(..., client=)`), and what was counted."""

    client_id: uuid.UUID
    now: datetime
    since: datetime  # lapsed holds count from here
    live: int = 0
    live_with_coach: int = 0
    lapsed: int = 0
    first_lapsed: datetime | None = None


async def calendar(
    conn: AsyncConnection,
    coach_id: uuid.UUID,
    *,
    first_day: date,
    last_day: date,
    span_from: datetime,
    span_to: datetime,
    client: ClientHolds | None = None,
) -> tuple[Rules, list[Taken], ClientHolds | None]:
    """Settings and weekly hours; overrides on local days `first_day`..`last_day`; time off and
    bookings reaching into [`span_from`, `span_to`); with `client`, that client's holds counted
    in the same statement (read after `coach_facts(..., client_id=...)` took the client's lock,
    so concurrent holds of one client count each other; on SQLite writers are one at a time)."""
    settings = _DEFAULTS
    weekly: list[tuple[int, int, int]] = []
    overrides: list[tuple[date, int | None, int | None]] = []
    time_off: list[tuple[datetime, datetime]] = []
    imported: list[tuple[datetime, datetime]] = []
    taken: list[Taken] = []
    params: dict[str, Any] = {
        "coach_id": coach_id,
        "first_day": first_day,
        "last_day": last_day,
        "span_from": span_from,
        "span_to": span_to,
    }
    if client is not None:
        params.update(client_id=client.client_id, now=client.now, since=client.since)
    result: Any = await conn.execute(_CALENDAR if client is None else _CALENDAR_WITH_CLIENT, params)
    for kind, a, b, c, d, e, on_date, t1, t2, t3, ident, word, t4 in result:
        if kind == "b":
            taken.append(Taken(ident, word, t3, t1, t2, t4, t4 + timedelta(minutes=a)))
        elif kind == "w":
            weekly.append((a, b, c))
        elif kind == "o":
            overrides.append((on_date, a, b))
        elif kind == "t":
            time_off.append((t1, t2))
        elif kind == "i":
            imported.append((t1, t2))
        elif kind == "c" and client is not None:
            client = replace(
                client, live=int(a), live_with_coach=int(b), lapsed=int(c), first_lapsed=t1
            )
        else:
            settings = (a, b, c, d, e, on_date)
    weekly.sort()
    overrides.sort(key=lambda o: (o[0], -1 if o[1] is None else o[1]))
    time_off.sort()
    imported.sort()
    rules = Rules(SlotRules(*settings), weekly, overrides, time_off, imported)
    return rules, taken, client
