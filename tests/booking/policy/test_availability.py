"""Turning a window of absolute time into a zone's wall-clock ranges, across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.policy.availability import LocalRange, by_zone, covered_ranges

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_same_utc_hour_is_an_hour_later_on_the_wall_in_summer() -> None:
    # Monday 5 January (EST, UTC-5) and Monday 6 July 2026 (EDT, UTC-4), 13:00-14:00 UTC.
    winter = covered_ranges(at(2026, 1, 5, 13), at(2026, 1, 5, 14), NEW_YORK)
    summer = covered_ranges(at(2026, 7, 6, 13), at(2026, 7, 6, 14), NEW_YORK)
    assert winter == (LocalRange(0, 8 * 60, 9 * 60),)
    assert summer == (LocalRange(0, 9 * 60, 10 * 60),)


def test_the_skipped_hour_is_never_covered() -> None:
    # Sunday 8 March 2026: 02:00 EST jumps to 03:00 EDT at 07:00 UTC.
    ranges = covered_ranges(at(2026, 3, 8, 6), at(2026, 3, 8, 8), NEW_YORK)
    assert ranges == (LocalRange(6, 60, 120), LocalRange(6, 180, 240))


def test_the_repeated_hour_is_covered_once_as_wall_time() -> None:
    # Sunday 1 November 2026: 02:00 EDT falls back to 01:00 EST at 06:00 UTC.
    ranges = covered_ranges(at(2026, 11, 1, 5), at(2026, 11, 1, 7), NEW_YORK)
    assert ranges == (LocalRange(6, 60, 120),)


def test_windows_cross_local_midnight_and_round_outwards() -> None:
    ranges = covered_ranges(at(2026, 3, 8, 18, 20, 15), at(2026, 3, 8, 19, 0, 1), KOLKATA)
    # 23:50:15 to 00:30:01 IST, Sunday into Monday.
    assert ranges == (LocalRange(0, 0, 31), LocalRange(6, 23 * 60 + 50, 1440))


def test_a_week_or_more_covers_everything() -> None:
    assert covered_ranges(at(2026, 3, 2), at(2026, 3, 9), NEW_YORK) is None
    with pytest.raises(ValueError, match="end after"):
        covered_ranges(at(2026, 3, 2), at(2026, 3, 2), NEW_YORK)


def test_zones_with_the_same_wall_clock_share_one_group() -> None:
    start = at(2026, 3, 8, 6)
    zones = {name: ZoneInfo(name) for name in ("America/New_York", "America/Toronto", "UTC")}
    groups = {
        tuple(names): ranges for ranges, names in by_zone(start, start + timedelta(hours=2), zones)
    }
    assert groups[("America/New_York", "America/Toronto")] == (
        LocalRange(6, 60, 120),
        LocalRange(6, 180, 240),
    )
    assert groups[("UTC",)] == (LocalRange(6, 360, 480),)
