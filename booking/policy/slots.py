"""Which slots of a coach are free: the rulebook of availability.

A coach keeps a weekly schedule of wall-clock ranges in their own IANA zone (several a day),
date overrides that replace a day's ranges (an override with no ranges closes the day), and
time off (absolute intervals). Slots start on the coach's slot grid: every `interval` minutes
from the start of each range, in local wall time, so a 09:00 slot stays 09:00 local across a DST
change. A slot of `duration` minutes must end inside its range.

Clock changes (see docs/booking.md for an example of each):
- wall times that do not exist (the hour skipped when clocks go forward) are skipped, and a range
  ending inside that gap ends at the gap's start (the instant the clocks jump);
- wall times that occur twice (the hour repeated when clocks go back) are offered twice, once
  with each offset: a coach working 00:00-04:00 that night works five real hours;
- a range ending at a repeated wall time ends at its first occurrence, so no session runs past
  the wall end.
Durations are absolute: a 60-minute session is 60 real minutes.

A slot is free when:
- it starts at least `min_notice` after now, and on or before the last bookable day: the
  horizon counts calendar days in the coach's zone, today is day 0 and the whole of day
  `max_advance_days` is bookable; None is no limit; `bookable_until`, a date in the coach's
  zone, is the last bookable day; either way never beyond HORIZON_CAP_DAYS, which keeps every
  query bounded (`horizon_end`);
- the session itself does not touch time off;
- its blocked interval, `[start - buffer_before, end + buffer_after)`, overlaps no live booking's
  blocked interval (live: held and not expired, or confirmed). The database enforces the same
  rule on the stored blocked intervals, so two adjacent sessions are at least
  `buffer_after + buffer_before` apart.

Everything is computed in UTC on the server clock; callers render slots in the viewer's zone.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
HORIZON_CAP_DAYS = 730  # the furthest day bookable with no limit: two years from today


@dataclass(frozen=True)
class DayRange:
    """Wall-clock minutes [start_minute, end_minute) of a day."""

    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class Interval:
    """An absolute interval [start, end), aware datetimes."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Schedule:
    """A coach's availability rules, in the coach's zone."""

    zone: ZoneInfo
    weekly: Mapping[int, Sequence[DayRange]]  # weekday (0 = Monday) -> ranges
    overrides: Mapping[date, Sequence[DayRange]] = field(default_factory=dict)
    time_off: Sequence[Interval] = ()
    interval: int = 30  # minutes between slot starts
    buffer_before: int = 0  # minutes
    buffer_after: int = 0  # minutes
    min_notice: int = 0  # minutes
    max_advance_days: int | None = 90  # None: no limit (HORIZON_CAP_DAYS)
    bookable_until: date | None = None  # the last bookable day, in the coach's zone


def blocked(start: datetime, end: datetime, schedule: Schedule) -> Interval:
    """The interval a session blocks on the coach's calendar, buffers included."""
    return Interval(
        start - timedelta(minutes=schedule.buffer_before),
        end + timedelta(minutes=schedule.buffer_after),
    )


def local_instant(day: date, minute: int, zone: ZoneInfo, *, fold: int = 0) -> datetime | None:
    """The UTC instant of wall time `minute` on `day` in `zone` (its second occurrence with
    `fold=1` where clocks go back); None if that wall time does not exist there (a DST gap).
    Minute 1440 is the next midnight."""
    wall = _wall(day, minute)
    instant = datetime(*wall, tzinfo=zone, fold=fold).astimezone(UTC)
    local = instant.astimezone(zone)
    if (local.year, local.month, local.day, local.hour, local.minute) != wall:
        return None
    return instant


def horizon_end(now: datetime, schedule: Schedule) -> datetime:
    """The end of the last bookable day: midnight after day `max_advance_days` in the coach's
    zone, counting today as day 0, or after `bookable_until` if that is sooner."""
    return wall_floor(last_day(now, schedule) + timedelta(days=1), 0, schedule.zone)


def last_day(now: datetime, schedule: Schedule) -> date:
    """The last bookable day in the coach's zone (before today when `bookable_until` has
    passed)."""
    today = now.astimezone(schedule.zone).date()
    days = schedule.max_advance_days
    last = today + timedelta(days=HORIZON_CAP_DAYS if days is None else min(days, HORIZON_CAP_DAYS))
    if schedule.bookable_until is not None:
        last = min(last, schedule.bookable_until)
    return last


def wall_floor(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The first instant the wall clock reads `minute` of `day` or later: its first occurrence
    where it repeats, the start of the gap where it falls in one."""
    instant = local_instant(day, minute, zone)
    if instant is not None:
        return instant
    # In a gap: fold=1 reads the wall time with the later offset (an instant before the jump),
    # fold=0 with the earlier one (after it); the jump lies between, on a whole minute.
    wall = _wall(day, minute)
    low = int(datetime(*wall, tzinfo=zone, fold=1).timestamp()) // 60
    high = int(datetime(*wall, tzinfo=zone, fold=0).timestamp()) // 60
    before = datetime.fromtimestamp(low * 60, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle * 60, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high * 60, UTC)


def ranges_on(day: date, schedule: Schedule) -> Sequence[DayRange]:
    if day in schedule.overrides:
        return schedule.overrides[day]
    return schedule.weekly.get(day.weekday(), ())


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
    span = timedelta(minutes=duration)
    slots = []
    for start in free_starts(schedule, window, duration, now=now, busy=busy):
        moment = datetime.fromtimestamp(start, UTC)
        slots.append(Interval(moment, moment + span))
    return slots


def free_starts(
    schedule: Schedule,
    window: Interval,
    duration: int,
    *,
    now: datetime,
    busy: Sequence[Interval],
) -> list[int]:
    """`free_slots` as the POSIX seconds of each slot's start: the same rule, cheap enough to
    list a 90-day horizon on every request (a run of evenly spaced starts is cut with a few
    binary searches, never tested start by start)."""
    earliest = now + timedelta(minutes=schedule.min_notice)
    low = max(window.start, earliest).timestamp()
    high = min(window.end, horizon_end(now, schedule)).timestamp()
    if high <= low:
        return []
    span = duration * 60
    before = schedule.buffer_before * 60
    after = schedule.buffer_after * 60
    # The starts each interval rules out, as open intervals: a session overlaps time off
    # [t0, t1) when it starts in (t0 - span, t1); its blocked interval overlaps a booking's
    # [b0, b1) when it starts in (b0 - span - after, b1 + before).
    excluded = _merged(
        [(t.start.timestamp() - span, t.end.timestamp()) for t in schedule.time_off]
        + [(b.start.timestamp() - span - after, b.end.timestamp() + before) for b in busy]
    )
    ends = [high for _, high in excluded]
    free: list[int] = []
    for run in _candidate_runs(schedule, low, high, duration):
        k = bisect.bisect_right(ends, run[0])  # the first exclusion that reaches past run[0]
        while k < len(excluded) and excluded[k][0] < run[-1]:
            cut_from, cut_to = excluded[k]
            free.extend(run[: bisect.bisect_right(run, cut_from)])
            run = run[bisect.bisect_left(run, cut_to) :]
            if not run:
                break
            k += 1
        free.extend(run)
    free.sort()  # linear on sorted input; runs interleave only where ranges overlap
    return free


def is_free(
    schedule: Schedule, start: datetime, duration: int, *, now: datetime, busy: Sequence[Interval]
) -> bool:
    """Whether a slot of `duration` minutes starting exactly at `start` is free and on the grid."""
    window = Interval(start, start + timedelta(minutes=1))
    return any(s.start == start for s in free_slots(schedule, window, duration, now=now, busy=busy))


def _candidate_runs(schedule: Schedule, low: float, high: float, duration: int) -> list[range]:
    """The slot starts on the grid in [low, high), as POSIX seconds in runs of evenly spaced
    starts (one per range and day, or one per start where a day changes its UTC offset), in
    time order."""
    zone = schedule.zone
    step = schedule.interval
    day = datetime.fromtimestamp(low, zone).date() - timedelta(days=1)
    last = datetime.fromtimestamp(high, zone).date() + timedelta(days=1)
    runs: list[range] = []
    while day <= last:
        for day_range in ranges_on(day, schedule):
            minutes = range(day_range.start_minute, day_range.end_minute - duration + 1, step)
            if not minutes:
                continue
            latest_start = _range_end(day, day_range, zone).timestamp() - duration * 60
            opening = local_instant(day, minutes[0], zone)
            closing = local_instant(day, minutes[-1], zone)
            if (
                opening is not None
                and closing is not None
                and closing - opening == timedelta(minutes=minutes[-1] - minutes[0])
                and local_instant(day, minutes[-1], zone, fold=1) == closing
            ):
                # One UTC offset from the first start to the last, and the last not a repeated
                # wall time (no zone changes its offset twice within a day), so the starts are
                # evenly spaced instants.
                first, stop = int(opening.timestamp()), int(closing.timestamp()) + 1
                runs.append(_clip(range(first, stop, step * 60), low, high, latest_start))
                continue
            for minute in minutes:
                # A repeated wall time starts two slots, one at each occurrence.
                for instant in {local_instant(day, minute, zone, fold=f) for f in (0, 1)}:
                    if instant is None:
                        continue
                    first = int(instant.timestamp())
                    runs.append(_clip(range(first, first + 1), low, high, latest_start))
        day += timedelta(days=1)
    runs = [run for run in runs if run]
    runs.sort(key=lambda run: run[0])  # ranges may be stored in any order
    return runs


def _clip(run: range, low: float, high: float, latest: float) -> range:
    """The starts of `run` in [low, high) and not after `latest`."""
    stop = min(bisect.bisect_left(run, high), bisect.bisect_right(run, latest))
    return run[bisect.bisect_left(run, low) : stop]


def _merged(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Open intervals merged where they overlap; touching ones stay apart, as the point where
    they touch belongs to neither."""
    merged: list[tuple[float, float]] = []
    for low, high in sorted(intervals):
        if merged and low < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _range_end(day: date, day_range: DayRange, zone: ZoneInfo) -> datetime:
    """The instant a range ends: its wall end, at its first occurrence where the wall time is
    repeated (no session runs past the wall end), at the gap's start where it falls in a DST
    gap (02:30 on a night clocks jump from 02:00 to 03:00 ends the range at that jump)."""
    return wall_floor(day, day_range.end_minute, zone)


def _wall(day: date, minute: int) -> tuple[int, int, int, int, int]:
    """(year, month, day, hour, minute) of wall time `minute` after the start of `day`. The
    datetime constructor is used rather than `datetime.replace`, which is several times slower
    and runs a few hundred times per slots query."""
    extra_days, minute = divmod(minute, MINUTES_PER_DAY)
    if extra_days:
        day += timedelta(days=extra_days)
    return (day.year, day.month, day.day, minute // 60, minute % 60)
