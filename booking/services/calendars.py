"""A coach's calendar as the availability rulebook sees it: rules and busy time, from storage."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from booking.policy import slots
from booking.policy.slots import DayRange, Interval, Schedule
from booking.storage import calendars as calendar_store
from booking.storage.calendars import ClientHolds


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


@dataclass(frozen=True)
class Busy:
    """Calendar time near a window: `live` blocks slots; `stale` are holds whose time is up
    but which the sweeper has not expired yet (free for slots, but the database's overlap guard
    still counts them until they are expired)."""

    live: list[Interval]
    stale: list[tuple[uuid.UUID, Interval]]
    holds: ClientHolds | None = None  # the client's holds, when `calendar_near` was asked

    def stale_over(self, guard: Interval) -> list[uuid.UUID]:
        """The stale holds a booking blocking `guard` would collide with."""
        return [i for i, b in self.stale if b.start < guard.end and guard.start < b.end]


def live_block(
    schedule: Schedule, stored: Interval, starts_at: datetime, ends_at: datetime
) -> Interval:
    """What a live booking blocks: buffers raised since it was made apply to it too, so the
    wider of the interval it stored and what today's buffers give its session."""
    current = slots.blocked(starts_at, ends_at, schedule)
    return Interval(min(stored.start, current.start), max(stored.end, current.end))


async def calendar_near(
    conn: AsyncConnection,
    coach_id: uuid.UUID,
    zone: ZoneInfo,
    window: Interval,
    now: datetime,
    *,
    client: ClientHolds | None = None,
) -> tuple[Schedule, Busy]:
    """The coach's rules, with the overrides and time off that matter for `window`, and their
    bookings and the busy time imported from their own calendars near it (a day either side, for
    buffers and local dates), in one statement (each
    live booking blocking its session with today's buffers, or what it stored if wider); with
    `client`, that client's holds counted in it (`Busy.holds`)."""
    rules, taken, holds = await calendar_store.calendar(
        conn,
        coach_id,
        first_day=window.start.astimezone(zone).date() - timedelta(days=1),
        last_day=window.end.astimezone(zone).date() + timedelta(days=1),
        span_from=window.start - timedelta(days=1),
        span_to=window.end + timedelta(days=1),
        client=client,
    )
    weekly: dict[int, list[DayRange]] = defaultdict(list)
    for weekday, start, end in rules.weekly:
        weekly[weekday].append(DayRange(start, end))
    overrides: dict[date, list[DayRange]] = defaultdict(list)
    for on_date, start_minute, end_minute in rules.overrides:
        ranges = overrides[on_date]  # a closed day stays an empty list
        if start_minute is not None and end_minute is not None:
            ranges.append(DayRange(start_minute, end_minute))
    schedule = Schedule(
        zone=zone,
        weekly=dict(weekly),
        overrides=dict(overrides),
        time_off=[Interval(start, end) for start, end in rules.time_off],
        interval=rules.settings.slot_interval,
        buffer_before=rules.settings.buffer_before,
        buffer_after=rules.settings.buffer_after,
        min_notice=rules.settings.min_notice,
        max_advance_days=rules.settings.max_advance_days,
        bookable_until=rules.settings.bookable_until,
    )
    busy = Busy(live=[Interval(start, end) for start, end in rules.imported], stale=[], holds=holds)
    for booking in taken:
        stored = Interval(booking.blocked_from, booking.blocked_to)
        expires = booking.hold_expires_at
        if booking.status == "held" and expires is not None and expires <= now:
            busy.stale.append((booking.id, stored))
        else:
            busy.live.append(live_block(schedule, stored, booking.starts_at, booking.ends_at))
    return schedule, busy
