"""Whether a coach has weekly hours within a window of absolute time.

A coach's weekly hours are wall-clock ranges in the coach's own zone: weekday 0 is Monday,
minutes from local midnight, end exclusive. A client asks for a window [start, end) of absolute
time. For each zone we turn the window into the wall-clock ranges it covers there
(`covered_ranges`); a coach matches when one of their weekly ranges overlaps one of those on the
same weekday (range.start < covered.end and range.end > covered.start).

Daylight saving time: the window is cut wherever the zone's UTC offset changes inside it. Within a
piece the offset is constant, so the piece maps onto one unbroken stretch of wall-clock time.
At spring-forward the skipped wall hour is therefore never covered (no coach works 02:30 on a day
without a 02:30); at fall-back the repeated hour is covered as often as it occurs. 13:00-14:00
UTC is 08:00-09:00 in New York in January (EST, UTC-5) and 09:00-10:00 in July (EDT, UTC-4).

Offset changes are found by sampling the offset every few hours across the window and bisecting
to the minute between two samples that differ; no zone changes its offset twice within
SAMPLE_STEP. Seconds are rounded outwards to whole minutes.

A window of 7 days or more covers every wall time of the week, so any weekly hours match:
`covered_ranges` returns None for it.

Issue 3 will subtract bookings and time off; this answers only "has weekly hours then". The
directory groups zones whose covered ranges are equal (`by_zone`), so a query carries one
condition per group rather than one per zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)
SAMPLE_STEP = timedelta(hours=6)
MINUTES_PER_DAY = 1440


@dataclass(frozen=True, order=True)
class LocalRange:
    """Wall-clock minutes [start_minute, end_minute) of one weekday (0 = Monday)."""

    weekday: int
    start_minute: int
    end_minute: int


Ranges = tuple[LocalRange, ...]


def covered_ranges(start: datetime, end: datetime, zone: ZoneInfo) -> Ranges | None:
    """The wall-clock ranges of `zone` that [start, end) covers; None when it covers a week."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window needs aware datetimes")
    if end <= start:
        raise ValueError("the window must end after it starts")
    if end - start >= WEEK:
        return None
    found: list[LocalRange] = []
    for piece_start, piece_end in _pieces(start.astimezone(UTC), end.astimezone(UTC), zone):
        local_start = piece_start.astimezone(zone).replace(tzinfo=None)
        local_end = local_start + (piece_end - piece_start)
        day = datetime.combine(local_start.date(), time())
        while day < local_end:
            following = day + timedelta(days=1)
            low, high = max(local_start, day), min(local_end, following)
            if high > low:
                found.append(
                    LocalRange(day.weekday(), _floor_minutes(low - day), _ceil_minutes(high - day))
                )
            day = following
    return _merge(found)


def by_zone(
    start: datetime, end: datetime, zones: Mapping[str, ZoneInfo]
) -> list[tuple[Ranges, list[str]]]:
    """Zones (by name) grouped by the ranges the window covers in them (callers check the
    week-long case first). Zones keeping one UTC offset through the window see the same wall
    clock, so their ranges are computed once per offset."""
    if end - start >= WEEK:
        raise ValueError("a week-long window matches any weekly hours")
    samples = list(_samples(start.astimezone(UTC), end.astimezone(UTC)))
    steady: dict[timedelta, list[tuple[str, ZoneInfo]]] = {}
    changing: list[tuple[str, ZoneInfo]] = []
    for name, zone in sorted(zones.items()):
        offsets = {_offset(instant, zone) for instant in samples}
        if len(offsets) == 1:
            steady.setdefault(offsets.pop(), []).append((name, zone))
        else:
            changing.append((name, zone))
    members = [*steady.values(), *([change] for change in changing)]
    groups: dict[Ranges, list[str]] = {}
    for group in members:
        ranges = covered_ranges(start, end, group[0][1])
        assert ranges is not None  # shorter than a week
        groups.setdefault(ranges, []).extend(name for name, _ in group)
    return list(groups.items())


def _samples(start: datetime, end: datetime) -> Iterator[datetime]:
    """The instants `_pieces` compares offsets at."""
    sample = start
    while sample < end:
        yield sample
        sample = sample + SAMPLE_STEP
    yield end - timedelta(microseconds=1)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _pieces(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at each change of the zone's UTC offset."""
    piece_start = start
    sample = start
    while sample < end:
        following = min(sample + SAMPLE_STEP, end)
        probe = following if following < end else end - timedelta(microseconds=1)
        if _offset(probe, zone) != _offset(sample, zone):
            change = _first_change(sample, probe, zone)
            yield piece_start, change
            piece_start = change
        sample = following
    yield piece_start, end


def _first_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (before, after] whose offset differs from `before`'s. Offsets
    change on whole minutes, so this bisects over whole minutes."""
    old = _offset(before, zone)
    low = int(before.timestamp() // 60)
    high = -int(-after.timestamp() // 60)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(datetime.fromtimestamp(middle * 60, UTC), zone) == old:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high * 60, UTC)


def _floor_minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _ceil_minutes(delta: timedelta) -> int:
    return min(MINUTES_PER_DAY, -int(-delta.total_seconds() // 60))


def _merge(ranges: list[LocalRange]) -> Ranges:
    merged: list[LocalRange] = []
    for r in sorted(ranges):
        last = merged[-1] if merged else None
        if last is not None and last.weekday == r.weekday and r.start_minute <= last.end_minute:
            merged[-1] = LocalRange(
                r.weekday, last.start_minute, max(last.end_minute, r.end_minute)
            )
        else:
            merged.append(r)
    return tuple(merged)
