"""A coach's availability calendar, and the free slots clients see.

The coach keeps their rules here: settings (slot interval, buffers, notice, horizon), weekly
hours, date overrides and time off. Every change tells the calendar feed which span of time may
have changed, so open calendars refresh. Clients ask for the free slots of a listed coach in a
window of at most `MAX_WINDOW`: one read-only transaction loads the rules and the live bookings,
and `booking.policy.slots` decides, the same rulebook a hold is checked against, so whatever
this lists can be held.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from booking.money import Money
from booking.policy import profiles as profile_rules
from booking.policy import slots
from booking.policy.pricing import session_price
from booking.policy.slots import HORIZON_CAP_DAYS
from booking.services import profiles
from booking.services.bookings import bookable
from booking.services.calendars import CalendarFeed, calendar_near
from booking.services.coaches import HoursView
from booking.services.profiles import HoursDraft, ProfileDraft
from booking.storage import coaches as coach_store
from booking.storage import schedules as store
from booking.storage.calendars import SlotRules
from booking.storage.coaches import Coach
from booking.storage.schedules import TimeOff
from realtime.auth.models import User
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, FieldError, NotFound, Unprocessable, ValidationFailed

log = logging.getLogger(__name__)

MAX_WINDOW = timedelta(days=92)  # a quarter of a year, the longest window one query lists
MAX_TIME_OFF = timedelta(days=366)
MAX_OVERRIDE_AHEAD = timedelta(days=HORIZON_CAP_DAYS)  # as far ahead as any horizon reaches
_BEYOND = timedelta(days=HORIZON_CAP_DAYS + 2)  # beyond any horizon

Rules = SlotRules  # a coach's slot rules, as the schedule API reads and writes them


@dataclass(frozen=True)
class RangeView:
    start: str
    end: str


@dataclass(frozen=True)
class OverrideView:
    date: date
    ranges: list[RangeView]  # empty: the day is closed


@dataclass(frozen=True)
class TimeOffView:
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    note: str


@dataclass(frozen=True)
class ScheduleView:
    time_zone: str
    settings: Rules
    weekly_hours: list[HoursView]
    overrides: list[OverrideView]  # from today on, in the coach's zone
    time_off: list[TimeOffView]  # not yet ended


@dataclass(frozen=True)
class SlotQuery:
    """A client's question. `start`/`end` are instants, or dates meaning midnight in `zone`;
    `zone` is an IANA name, or None for the viewer's own zone (UTC when anonymous)."""

    start: datetime | date
    end: datetime | date
    zone: str | None
    viewer: uuid.UUID | None
    session_type: str
    duration: int


@dataclass(frozen=True)
class SlotList:
    coach_id: uuid.UUID
    zone: ZoneInfo
    session_type: str
    duration: int
    price: Money
    starts: list[int]  # POSIX seconds, in time order


class Availability:
    def __init__(self, db: Database, clock: Clock, feed: CalendarFeed) -> None:
        self.db = db
        self.clock = clock
        self.feed = feed

    async def schedule(self, user_id: uuid.UUID) -> ScheduleView:
        """The caller's own calendar rules."""
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            return await self._view(session, coach)

    async def set_rules(self, user_id: uuid.UUID, rules: Rules) -> ScheduleView:
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            before = await store.settings_of(session, coach.id)
            horizon = max(_days(before.max_advance_days), _days(rules.max_advance_days))
            await store.put_settings(session, coach.id, **vars(rules))
            view = await self._view(session, coach)
        await self._changed(coach.id, *self._ahead(horizon))
        return view

    async def set_weekly_hours(
        self, user_id: uuid.UUID, hours: tuple[HoursDraft, ...]
    ) -> ScheduleView:
        """Replace the weekly hours, checked as a profile edit checks them."""
        draft = ProfileDraft(weekly_hours=hours, given=frozenset({"weekly_hours"}))
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            checked = await profiles.check(session, draft)
            await profiles.write(session, coach, checked, self.clock.now())
            horizon = _days((await store.settings_of(session, coach.id)).max_advance_days)
            view = await self._view(session, coach)
        await self._changed(coach.id, *self._ahead(horizon))
        return view

    async def set_override(
        self, user_id: uuid.UUID, on_date: date, ranges: list[tuple[int, int]]
    ) -> ScheduleView:
        """Replace one date's hours with `ranges` (overlapping ones merged); no ranges close the
        day."""
        ranges = [(start, end) for _, start, end in profile_rules.merged([(0, *r) for r in ranges])]
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            zone = ZoneInfo(coach.time_zone)
            self._check_date(on_date, zone)
            await store.replace_overrides(session, coach.id, on_date, ranges)
            await session.flush()
            view = await self._view(session, coach)
        await self._changed(coach.id, *_day_span(on_date, zone))
        return view

    async def clear_override(self, user_id: uuid.UUID, on_date: date) -> None:
        """Give a date back to the weekly hours (clearing a date twice is fine)."""
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            zone = ZoneInfo(coach.time_zone)
            self._check_date(on_date, zone)
            cleared = await store.clear_override(session, coach.id, on_date)
        if cleared:
            await self._changed(coach.id, *_day_span(on_date, zone))

    async def add_time_off(
        self, user_id: uuid.UUID, starts_at: datetime, ends_at: datetime, note: str
    ) -> TimeOffView:
        if ends_at <= starts_at:
            raise ValidationFailed([FieldError("ends_at", "must be after starts_at")])
        if ends_at - starts_at > MAX_TIME_OFF:
            raise ValidationFailed([FieldError("ends_at", "time off lasts at most 366 days")])
        if ends_at <= self.clock.now():
            raise ValidationFailed([FieldError("ends_at", "must be in the future")])
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            row = TimeOff(
                coach_id=coach.id,
                starts_at=starts_at.astimezone(UTC),
                ends_at=ends_at.astimezone(UTC),
                note=note,
            )
            session.add(row)
            await session.flush()
            view = _time_off_view(row)
        log.info("coach %s took time off %s", coach.id, row.id)
        await self._changed(coach.id, view.starts_at, view.ends_at)
        return view

    async def remove_time_off(self, user_id: uuid.UUID, time_off_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            row = await store.remove_time_off(session, coach.id, time_off_id)
            if row is None:
                raise NotFound(
                    Code.TIME_OFF_NOT_FOUND, f"You have no time off with id {time_off_id}."
                )
            span = (row.starts_at, row.ends_at)
        await self._changed(coach.id, *span)

    async def slots(self, coach_id: uuid.UUID, query: SlotQuery) -> SlotList:
        """The free slots of a listed coach in the window, for the viewer's zone."""
        now = self.clock.now()
        async with self.db.autocommit() as conn:
            zone = await _viewer_zone(conn, query)
            window = _window(query, zone)
            coach = await bookable(conn, coach_id, query.session_type, query.duration, now)
            # No slot starts before now or a year ahead: load only what can matter.
            bounded = slots.Interval(max(window.start, now), min(window.end, now + _BEYOND))
            starts: list[int] = []
            if bounded.start < bounded.end:
                zone_of_coach = ZoneInfo(coach.time_zone)
                schedule, busy = await calendar_near(conn, coach.id, zone_of_coach, bounded, now)
                starts = slots.free_starts(
                    schedule, bounded, query.duration, now=now, busy=busy.live
                )
        rate = coach.rate_minor or 0  # bookable() refused a coach without this offering
        return SlotList(
            coach_id=coach.id,
            zone=zone,
            session_type=query.session_type,
            duration=query.duration,
            price=session_price(Money(rate, coach.currency), query.duration),
            starts=starts,
        )

    def _check_date(self, on_date: date, zone: ZoneInfo) -> None:
        today = self.clock.now().astimezone(zone).date()
        if on_date < today:
            raise ValidationFailed(
                [FieldError("date", f"must not be before today ({today}) in your time zone")]
            )
        if on_date > today + MAX_OVERRIDE_AHEAD:
            raise ValidationFailed(
                [FieldError("date", f"must be at most {HORIZON_CAP_DAYS} days ahead")]
            )

    def _ahead(self, days: int) -> tuple[datetime, datetime]:
        now = self.clock.now()
        return now, now + timedelta(days=days)

    async def _changed(self, coach_id: uuid.UUID, start: datetime, end: datetime) -> None:
        await self.feed.slots_changed(coach_id, start, end, "schedule")

    async def _view(self, session: AsyncSession, coach: Coach) -> ScheduleView:
        now = self.clock.now()
        rules = await store.settings_of(session, coach.id)
        hours = await coach_store.weekly_hours(session, coach.id)
        today = now.astimezone(ZoneInfo(coach.time_zone)).date()
        overrides: dict[date, list[RangeView]] = {}
        for row in await store.overrides_between(session, coach.id, today, date.max):
            ranges = overrides.setdefault(row.on_date, [])
            if row.start_minute is not None and row.end_minute is not None:
                ranges.append(RangeView(clock_time(row.start_minute), clock_time(row.end_minute)))
        off = await store.time_off_after(session, coach.id, now)
        return ScheduleView(
            time_zone=coach.time_zone,
            settings=Rules(
                slot_interval=rules.slot_interval,
                buffer_before=rules.buffer_before,
                buffer_after=rules.buffer_after,
                min_notice=rules.min_notice,
                max_advance_days=rules.max_advance_days,
                bookable_until=rules.bookable_until,
            ),
            weekly_hours=[
                HoursView(h.weekday, clock_time(h.start_minute), clock_time(h.end_minute))
                for h in hours
            ],
            overrides=[OverrideView(day, ranges) for day, ranges in overrides.items()],
            time_off=[_time_off_view(t) for t in off],
        )


def clock_time(minute: int) -> str:
    """`HH:MM` of minutes from midnight; 1440 is `24:00`."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


async def own_coach(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> Coach:
    coach = await coach_store.by_user(session, user_id, lock=lock)
    if coach is None:
        raise NotFound(
            Code.NOT_A_COACH,
            "You have no coach profile yet: apply with POST /api/coaches/me/application.",
        )
    return coach


async def _viewer_zone(conn: AsyncConnection, query: SlotQuery) -> ZoneInfo:
    """The zone named in the query, else the viewer's own, else UTC."""
    if query.zone is not None:
        zone = profile_rules.time_zone(query.zone)
        if zone is None:
            raise Unprocessable(
                Code.UNKNOWN_TIME_ZONE,
                [FieldError("tz", f"{query.zone!r} is not an IANA time zone")],
            )
        return zone
    own = None
    if query.viewer is not None:
        own = await conn.scalar(select(User.time_zone).where(User.id == query.viewer))
    return (profile_rules.time_zone(own) if own else None) or ZoneInfo("UTC")


def _window(query: SlotQuery, zone: ZoneInfo) -> slots.Interval:
    start, end = _instant(query.start, zone, "from"), _instant(query.end, zone, "to")
    if end <= start:
        raise ValidationFailed([FieldError("to", "must be after from")])
    if end - start > MAX_WINDOW:
        raise ValidationFailed([FieldError("to", "at most 92 days after from")])
    return slots.Interval(start, end)


def _instant(moment: datetime | date, zone: ZoneInfo, field: str = "date") -> datetime:
    """An instant as given, or the midnight that starts a date in `zone`."""
    try:
        if isinstance(moment, datetime):
            return moment.astimezone(UTC)
        return datetime.combine(moment, time(), tzinfo=zone).astimezone(UTC)
    except OverflowError:
        raise ValidationFailed([FieldError(field, "out of range")]) from None


def _day_span(on_date: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return _instant(on_date, zone), _instant(on_date + timedelta(days=1), zone)


def _days(max_advance_days: int | None) -> int:
    """A horizon in days, no limit counted as the cap."""
    return HORIZON_CAP_DAYS if max_advance_days is None else max_advance_days


def _time_off_view(row: TimeOff) -> TimeOffView:
    return TimeOffView(row.id, row.starts_at, row.ends_at, row.note)
