"""The first, slot-by-slot implementation of booking.policy.slots, kept as the reference the
fast one is checked against (tests/booking/policy/test_slots.py). Not used by the server.

Which slots of a coach are free: the rulebook of availability.

A coach keeps a weekly schedule of wall-clock ranges in their own IANA zone (several a day),
date overrides that replace a day's ranges (an override with no ranges closes the day), and
time off (absolute intervals). Slots start on the coach's slot grid: every `interval` minutes
from the start of each range, in local wall time, so a 09:00 slot stays 09:00 local across a DST
change. A slot of `duration` minutes must end inside its range.

Wall times that do not exist (the hour skipped when clocks go forward) are skipped, and a range
ending in such a gap ends where the gap starts; wall times that occur twice (the hour repeated
when clocks go back) start a slot at each occurrence; a range ending at a repeated wall time
ends at its first occurrence. Durations are absolute: a 60-minute session is 60 real minutes.

A slot is free when:
- it starts at least `min_notice` after now and before the midnight (coach's zone) that ends
  day `max_advance_days`, today being day 0;
- the session itself does not touch time off;
- its blocked interval, `[start - buffer_before, end + buffer_after)`, overlaps no live booking's
  blocked interval (live: held and not expired, or confirmed). The database enforces the same
  rule on the stored blocked intervals, so two adjacent sessions are at least
  `buffer_after + buffer_before` apart.

Everything is computed in UTC on the server clock; callers render slots in the viewer's zone.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.policy.slots import DayRange, Interval, Schedule

MINUTES_PER_DAY = 1440


def blocked(start: datetime, end: datetime, schedule: Schedule) -> Interval:
    """The interval a session blocks on the coach's calendar, buffers included."""
    return Interval(
        start - timedelta(minutes=schedule.buffer_before),
        end + timedelta(minutes=schedule.buffer_after),
    )


def local_instant(day: date, minute: int, zone: ZoneInfo, fold: int = 0) -> datetime | None:
    """The UTC instant of wall time `minute` on `day` in `zone` (the second occurrence with
    fold=1); None if that wall time does not exist there (a DST gap). Minute 1440 is the next
    midnight."""
    extra_days, minute = divmod(minute, MINUTES_PER_DAY)
    wall = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60))
    aware = wall.replace(tzinfo=zone, fold=fold)
    instant = aware.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def ranges_on(day: date, schedule: Schedule) -> Sequence[DayRange]:
    if day in schedule.overrides:
        return schedule.overrides[day]
    return schedule.weekly.get(day.weekday(), ())


def candidate_slots(schedule: Schedule, window: Interval, duration: int) -> Iterable[Interval]:
    """Every slot on the grid of the schedule's ranges that starts inside `window`."""
    span = timedelta(minutes=duration)
    first = window.start.astimezone(schedule.zone).date() - timedelta(days=1)
    last = window.end.astimezone(schedule.zone).date() + timedelta(days=1)
    day = first
    while day <= last:
        for day_range in ranges_on(day, schedule):
            range_end = _range_end(day, day_range, schedule.zone)
            minute = day_range.start_minute
            while minute + duration <= day_range.end_minute:
                starts = {local_instant(day, minute, schedule.zone, fold) for fold in (0, 1)}
                minute += schedule.interval
                for start in sorted(s for s in starts if s is not None):
                    if window.start <= start < window.end and start + span <= range_end:
                        yield Interval(start, start + span)
        day += timedelta(days=1)


def free_slots(
    schedule: Schedule,
    window: Interval,
    duration: int,
    *,
    now: datetime,
    busy: Sequence[Interval],
) -> list[Interval]:
    """The free slots of `duration` minutes starting in `window`, in time order.

    `busy` are the blocked intervals of live bookings (buffers included)."""
    earliest = now + timedelta(minutes=schedule.min_notice)
    today = now.astimezone(schedule.zone).date()
    days = 730 if schedule.max_advance_days is None else schedule.max_advance_days
    final = today + timedelta(days=days)
    if schedule.bookable_until is not None and schedule.bookable_until < final:
        final = schedule.bookable_until
    latest = _wall_end(final + timedelta(days=1), 0, schedule.zone)
    bounded = Interval(max(window.start, earliest), min(window.end, latest))
    if bounded.end <= bounded.start:
        return []
    taken = _Index(busy)
    off = _Index(schedule.time_off)
    return [
        slot
        for slot in candidate_slots(schedule, bounded, duration)
        if not off.overlaps(slot) and not taken.overlaps(blocked(slot.start, slot.end, schedule))
    ]


def is_free(
    schedule: Schedule, start: datetime, duration: int, *, now: datetime, busy: Sequence[Interval]
) -> bool:
    """Whether a slot of `duration` minutes starting exactly at `start` is free and on the grid."""
    window = Interval(start, start + timedelta(minutes=1))
    return any(s.start == start for s in free_slots(schedule, window, duration, now=now, busy=busy))


def _range_end(day: date, day_range: DayRange, zone: ZoneInfo) -> datetime:
    """The instant a range ends (see `_wall_end`)."""
    return _wall_end(day, day_range.end_minute, zone)


def _wall_end(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The first occurrence of wall time `minute` of `day`; in a DST gap, one minute after the
    last wall minute before the gap (the gap's start)."""
    back = 0
    while (instant := local_instant(day, minute - back, zone)) is None:
        back += 1
    return instant + timedelta(minutes=back)


class _Index:
    """Intervals sorted by start, for overlap questions in O(log n + k)."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self.items = sorted(intervals, key=lambda i: i.start)
        self.starts = [i.start for i in self.items]
        self.longest = max((i.end - i.start for i in self.items), default=timedelta(0))

    def overlaps(self, probe: Interval) -> bool:
        # Only intervals starting after probe.start - longest can reach into the probe.
        low = bisect.bisect_left(self.starts, probe.start - self.longest)
        high = bisect.bisect_left(self.starts, probe.end)
        return any(self.items[k].overlaps(probe) for k in range(low, high))
