"""A coach's calendar as the availability rulebook sees it: rules and busy time, from storage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy.slots import DayRange, Interval, Schedule
from booking.storage import bookings as booking_store
from booking.storage import coaches as coach_store
from booking.storage import schedules as schedule_store
from booking.storage.coaches import Coach


class CalendarFeed(Protocol):
    """Told when slots of a coach are taken or freed, so viewers can be told at once
    (the socket.io `/availability` namespace implements it)."""

    async def slots_changed(
        self, coach_id: uuid.UUID, start: datetime, end: datetime, reason: str
    ) -> None: ...


class NoFeed:
    async def slots_changed(
        self, coach_id: uuid.UUID, start: datetime, end: datetime, reason: str
    ) -> None:
        return None


async def schedule_of(session: AsyncSession, coach: Coach, window: Interval) -> Schedule:
    """The coach's rules, with the overrides and time off that matter for `window`."""
    zone = ZoneInfo(coach.time_zone)
    settings = await schedule_store.settings_of(session, coach.id)
    weekly: dict[int, list[DayRange]] = defaultdict(list)
    for hours in await coach_store.weekly_hours(session, coach.id):
        weekly[hours.weekday].append(DayRange(hours.start_minute, hours.end_minute))
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date() + timedelta(days=1)
    overrides: dict[date, list[DayRange]] = defaultdict(list)
    for override in await schedule_store.overrides_between(session, coach.id, first, last):
        ranges = overrides[override.on_date]  # a closed day stays an empty list
        if override.start_minute is not None and override.end_minute is not None:
            ranges.append(DayRange(override.start_minute, override.end_minute))
    off = await schedule_store.time_off_between(
        session, coach.id, window.start - timedelta(days=1), window.end + timedelta(days=1)
    )
    return Schedule(
        zone=zone,
        weekly=dict(weekly),
        overrides=dict(overrides),
        time_off=[Interval(t.starts_at, t.ends_at) for t in off],
        interval=settings.slot_interval,
        buffer_before=settings.buffer_before,
        buffer_after=settings.buffer_after,
        min_notice=settings.min_notice,
        max_advance_days=settings.max_advance_days,
    )


async def busy_in(
    session: AsyncSession, coach_id: uuid.UUID, window: Interval, now: datetime
) -> list[Interval]:
    """Blocked intervals of live bookings near `window` (a day either side, for buffers)."""
    rows = await booking_store.busy(
        session, coach_id, window.start - timedelta(days=1), window.end + timedelta(days=1), now
    )
    return [Interval(start, end) for start, end in rows]
