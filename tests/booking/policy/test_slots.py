"""The availability rulebook: grid, DST, overrides, time off, buffers, notice, horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from booking.policy.slots import (
    DayRange,
    Interval,
    Schedule,
    blocked,
    free_slots,
    horizon_end,
    is_free,
    local_instant,
)

NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_NOON = DayRange(9 * 60, 12 * 60)
WEEKDAYS = {d: [NINE_TO_NOON] for d in range(5)}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def day_window(local_day: date, zone: ZoneInfo = NEW_YORK) -> Interval:
    start = datetime.combine(local_day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return Interval(start, start + timedelta(days=1))


def local_starts(slots: list[Interval], zone: ZoneInfo = NEW_YORK) -> list[str]:
    return [s.start.astimezone(zone).strftime("%H:%M") for s in slots]


def test_slots_follow_the_grid_and_end_inside_the_range() -> None:
    schedule = Schedule(NEW_YORK, WEEKDAYS, interval=30)
    slots = free_slots(schedule, day_window(date(2026, 1, 12)), 60, now=at(2026, 1, 1), busy=[])
    assert local_starts(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00"]


def test_nine_oclock_stays_nine_local_across_dst() -> None:
    schedule = Schedule(NEW_YORK, WEEKDAYS, interval=60)
    winter = free_slots(schedule, day_window(date(2026, 3, 6)), 60, now=at(2026, 1, 1), busy=[])
    summer = free_slots(schedule, day_window(date(2026, 3, 9)), 60, now=at(2026, 1, 1), busy=[])
    assert winter[0].start == at(2026, 3, 6, 14)  # 09:00 EST is 14:00 UTC
    assert summer[0].start == at(2026, 3, 9, 13)  # 09:00 EDT is 13:00 UTC
    assert local_starts(winter) == local_starts(summer) == ["09:00", "10:00", "11:00"]


def test_wall_times_in_the_spring_gap_are_skipped() -> None:
    night = {6: [DayRange(60, 4 * 60)]}  # Sunday 01:00-04:00
    schedule = Schedule(NEW_YORK, night, interval=30)
    slots = free_slots(schedule, day_window(date(2026, 3, 8)), 30, now=at(2026, 1, 1), busy=[])
    assert local_starts(slots) == ["01:00", "01:30", "03:00", "03:30"]
    assert local_instant(date(2026, 3, 8), 150, NEW_YORK) is None


def test_fall_back_night_offers_the_repeated_hour_twice() -> None:
    night = {6: [DayRange(0, 4 * 60)]}  # Sunday 00:00-04:00; 2026-11-01 clocks go back at 02:00
    schedule = Schedule(NEW_YORK, night, interval=60)
    slots = free_slots(schedule, day_window(date(2026, 11, 1)), 60, now=at(2026, 10, 1), busy=[])
    shown = [s.start.astimezone(NEW_YORK).isoformat() for s in slots]
    assert shown == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]
    assert [s.start for s in slots] == [at(2026, 11, 1, 4 + h) for h in range(5)]


def test_a_range_ending_in_the_spring_gap_ends_at_the_gap() -> None:
    night = {6: [DayRange(60, 2 * 60 + 30)]}  # Sunday 01:00-02:30; 02:00-03:00 does not exist
    schedule = Schedule(NEW_YORK, night, interval=30)
    slots = free_slots(schedule, day_window(date(2026, 3, 8)), 30, now=at(2026, 1, 1), busy=[])
    assert local_starts(slots) == ["01:00", "01:30"]  # 01:30-02:00 EST ends at the jump
    assert slots[-1].end == at(2026, 3, 8, 7)  # 02:00 EST, the instant clocks jump


def test_back_to_back_ninety_minute_sessions() -> None:
    schedule = Schedule(NEW_YORK, {0: [DayRange(9 * 60, 15 * 60)]}, interval=90)
    slots = free_slots(schedule, day_window(date(2026, 1, 12)), 90, now=at(2026, 1, 1), busy=[])
    assert local_starts(slots) == ["09:00", "10:30", "12:00", "13:30"]
    twenty = Schedule(NEW_YORK, {0: [DayRange(9 * 60, 10 * 60)]}, interval=20)
    check_ins = free_slots(twenty, day_window(date(2026, 1, 12)), 20, now=at(2026, 1, 1), busy=[])
    assert local_starts(check_ins) == ["09:00", "09:20", "09:40"]


def test_the_horizon_counts_calendar_days_in_the_coachs_zone() -> None:
    schedule = Schedule(NEW_YORK, {d: [DayRange(0, 1440)] for d in range(7)}, max_advance_days=2)
    now = at(2026, 1, 13, 4)  # 23:00 EST on Monday the 12th: day 0 is the 12th
    assert horizon_end(now, schedule) == at(2026, 1, 15, 5)  # midnight ending Wednesday the 14th
    last = free_slots(schedule, day_window(date(2026, 1, 14)), 60, now=now, busy=[])
    assert local_starts(last)[-1] == "23:00"  # the whole of day 2
    assert free_slots(schedule, day_window(date(2026, 1, 15)), 60, now=now, busy=[]) == []
    today_only = Schedule(NEW_YORK, schedule.weekly, max_advance_days=0)
    today = free_slots(today_only, day_window(date(2026, 1, 12)), 30, now=now, busy=[])
    assert local_starts(today) == ["23:00", "23:30"]


def test_no_limit_and_a_fixed_end_date() -> None:
    every_day = {d: [DayRange(9 * 60, 10 * 60)] for d in range(7)}
    now = at(2026, 1, 12, 12)
    open_ended = Schedule(NEW_YORK, every_day, max_advance_days=None)
    assert horizon_end(now, open_ended) == at(2028, 1, 13, 5)  # 730 days: the cap
    far = free_slots(open_ended, day_window(date(2027, 12, 1)), 60, now=now, busy=[])
    assert local_starts(far) == ["09:00"]
    until = Schedule(NEW_YORK, every_day, max_advance_days=None, bookable_until=date(2026, 2, 1))
    assert free_slots(until, day_window(date(2026, 2, 1)), 60, now=now, busy=[]) != []
    assert free_slots(until, day_window(date(2026, 2, 2)), 60, now=now, busy=[]) == []
    sooner = Schedule(NEW_YORK, every_day, max_advance_days=3, bookable_until=date(2026, 2, 1))
    assert horizon_end(now, sooner) == at(2026, 1, 16, 5)  # whichever comes first


def test_override_replaces_the_day_and_an_empty_one_closes_it() -> None:
    schedule = Schedule(
        NEW_YORK,
        WEEKDAYS,
        overrides={date(2026, 1, 12): [DayRange(14 * 60, 15 * 60)], date(2026, 1, 13): []},
        interval=60,
    )
    monday = free_slots(schedule, day_window(date(2026, 1, 12)), 60, now=at(2026, 1, 1), busy=[])
    tuesday = free_slots(schedule, day_window(date(2026, 1, 13)), 60, now=at(2026, 1, 1), busy=[])
    assert local_starts(monday) == ["14:00"]
    assert tuesday == []


def test_time_off_removes_the_slots_it_touches() -> None:
    off = Interval(at(2026, 1, 12, 15, 30), at(2026, 1, 12, 16, 30))  # 10:30-11:30 EST
    schedule = Schedule(NEW_YORK, WEEKDAYS, time_off=[off], interval=30)
    slots = free_slots(schedule, day_window(date(2026, 1, 12)), 30, now=at(2026, 1, 1), busy=[])
    assert local_starts(slots) == ["09:00", "09:30", "10:00", "11:30"]


def test_buffers_keep_sessions_apart() -> None:
    schedule = Schedule(NEW_YORK, WEEKDAYS, interval=15, buffer_before=15, buffer_after=15)
    booked = blocked(at(2026, 1, 12, 15), at(2026, 1, 12, 15, 30), schedule)  # 10:00-10:30 EST
    slots = free_slots(
        schedule, day_window(date(2026, 1, 12)), 30, now=at(2026, 1, 1), busy=[booked]
    )
    starts = local_starts(slots)
    # The booking blocks 09:45-10:45; a 30-minute slot blocks 15 minutes either side of itself.
    assert "09:00" in starts  # blocks 08:45-09:45, touching
    assert "09:15" not in starts
    assert "10:30" not in starts
    assert "11:00" in starts  # blocks 10:45-11:45, touching


def test_notice_and_horizon_bound_the_slots() -> None:
    schedule = Schedule(NEW_YORK, WEEKDAYS, interval=60, min_notice=90, max_advance_days=7)
    now = at(2026, 1, 12, 14, 30)  # 09:30 EST
    today = free_slots(schedule, day_window(date(2026, 1, 12)), 60, now=now, busy=[])
    assert local_starts(today) == ["11:00"]
    beyond = free_slots(schedule, day_window(date(2026, 1, 20)), 60, now=now, busy=[])
    assert beyond == []


def test_is_free_requires_the_grid() -> None:
    schedule = Schedule(NEW_YORK, WEEKDAYS, interval=30)
    now = at(2026, 1, 1)
    assert is_free(schedule, at(2026, 1, 12, 14, 30), 60, now=now, busy=[])
    assert not is_free(schedule, at(2026, 1, 12, 14, 10), 60, now=now, busy=[])
    assert not is_free(schedule, at(2026, 1, 12, 16, 30), 60, now=now, busy=[])  # ends 12:30


@given(
    busy_starts=st.lists(st.integers(min_value=0, max_value=7 * 24 * 4), max_size=20),
    duration=st.sampled_from([30, 45, 60, 90]),
    buffer=st.integers(min_value=0, max_value=30),
)
def test_no_free_slot_overlaps_a_booking(
    busy_starts: list[int], duration: int, buffer: int
) -> None:
    schedule = Schedule(
        NEW_YORK,
        {d: [DayRange(8 * 60, 20 * 60)] for d in range(7)},
        interval=15,
        buffer_before=buffer,
        buffer_after=buffer,
    )
    origin = at(2026, 3, 2)
    busy = [
        blocked(
            origin + timedelta(minutes=15 * q), origin + timedelta(minutes=15 * q + 60), schedule
        )
        for q in busy_starts
    ]
    window = Interval(origin, origin + timedelta(days=7))
    for slot in free_slots(schedule, window, duration, now=at(2026, 1, 1), busy=busy):
        mine = blocked(slot.start, slot.end, schedule)
        assert not any(mine.overlaps(b) for b in busy)


ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Africa/Casablanca",  # DST suspended during Ramadan
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",
]
day_ranges = st.lists(
    st.tuples(st.integers(0, 47), st.integers(1, 12)).map(
        lambda t: DayRange(t[0] * 30, min(1440, t[0] * 30 + t[1] * 30))
    ),
    max_size=2,
).filter(  # weekly hours of a day never overlap (the API refuses it)
    lambda rs: (
        len(rs) < 2
        or min(rs[0].end_minute, rs[1].end_minute) <= max(rs[0].start_minute, rs[1].start_minute)
    )
)


@given(
    zone=st.sampled_from(ZONES),
    weekly=st.dictionaries(st.integers(0, 6), day_ranges, max_size=7),
    interval=st.sampled_from([15, 20, 30, 60, 90]),
    duration=st.sampled_from([10, 20, 30, 45, 50, 60, 90, 240]),
    buffer=st.integers(0, 20),
    start_day=st.integers(0, 330),
    busy_offsets=st.lists(st.integers(0, 14 * 24 * 60), max_size=6),
    notice=st.integers(0, 24 * 60),
)
def test_fast_slots_equal_the_reference(
    zone: str,
    weekly: dict[int, list[DayRange]],
    interval: int,
    duration: int,
    buffer: int,
    start_day: int,
    busy_offsets: list[int],
    notice: int,
) -> None:
    from tests.booking.policy import reference_slots

    schedule = Schedule(
        ZoneInfo(zone),
        weekly,
        overrides={date(2026, 1, 1) + timedelta(days=start_day + 3): []},
        time_off=[
            Interval(
                at(2026, 1, 1) + timedelta(days=start_day + 5),
                at(2026, 1, 1) + timedelta(days=start_day + 6),
            )
        ],
        interval=interval,
        buffer_before=buffer,
        buffer_after=buffer,
        min_notice=notice,
        max_advance_days=30,
    )
    origin = at(2026, 1, 1) + timedelta(days=start_day)
    busy = [
        Interval(origin + timedelta(minutes=m), origin + timedelta(minutes=m + 60))
        for m in busy_offsets
    ]
    window = Interval(origin, origin + timedelta(days=14))
    now = origin - timedelta(hours=2)
    fast = free_slots(schedule, window, duration, now=now, busy=busy)
    slow = reference_slots.free_slots(schedule, window, duration, now=now, busy=busy)
    assert fast == sorted(slow, key=lambda slot: slot.start)
