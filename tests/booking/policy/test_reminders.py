"""The rules of booking.policy.reminders, with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.policy.reminders import Lead, Recipient, Reminder, local_time, schedule

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def leads(reminders: list[Reminder]) -> list[tuple[Lead, Recipient]]:
    return [(r.lead, r.recipient) for r in reminders]


def test_a_session_days_ahead_gets_both_reminders_for_both_participants() -> None:
    starts = NOW + timedelta(days=3)
    got = schedule(starts, NOW)
    assert [r.due_at for r in got] == [starts - timedelta(hours=24)] * 2 + [
        starts - timedelta(hours=1)
    ] * 2
    assert {r.recipient for r in got} == {Recipient.COACH, Recipient.CLIENT}
    assert [r.lead for r in got] == [Lead.DAY, Lead.DAY, Lead.HOUR, Lead.HOUR]


@pytest.mark.parametrize(
    ("ahead", "expected"),
    [
        (timedelta(hours=24, minutes=1), {Lead.DAY, Lead.HOUR}),
        # Exactly 24 h ahead: the day reminder would be due now, which is not "before".
        (timedelta(hours=24), {Lead.HOUR}),
        (timedelta(hours=5), {Lead.HOUR}),
        (timedelta(hours=1, seconds=1), {Lead.HOUR}),
        (timedelta(hours=1), set()),
        (timedelta(minutes=30), set()),
        (timedelta(minutes=-10), set()),
    ],
)
def test_reminders_already_past_are_not_written(ahead: timedelta, expected: set[Lead]) -> None:
    assert {r.lead for r in schedule(NOW + ahead, NOW)} == expected


def test_due_times_are_elapsed_hours_across_a_dst_change() -> None:
    # Berlin springs forward on 2026-03-29 at 02:00: a 10:00 local session the day after
    # the change is 23 wall-clock hours after 10:00 the day before, yet due 24 real hours ahead.
    berlin = ZoneInfo("Europe/Berlin")
    starts = datetime(2026, 3, 29, 10, 0, tzinfo=berlin)
    day = schedule(starts, NOW)[0]
    assert day.lead is Lead.DAY
    assert starts - day.due_at == timedelta(hours=24)
    assert day.due_at.astimezone(berlin) == datetime(2026, 3, 28, 9, 0, tzinfo=berlin)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule(NOW.replace(tzinfo=None) + timedelta(days=1), NOW)


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Berlin", "Mon 2 Mar 2026, 10:00 CET"),
        ("America/New_York", "Mon 2 Mar 2026, 04:00 EST"),
        ("Asia/Kolkata", "Mon 2 Mar 2026, 14:30 IST"),
        ("Pacific/Auckland", "Mon 2 Mar 2026, 22:00 NZDT"),
    ],
)
def test_the_time_is_shown_in_the_readers_zone(zone: str, shown: str) -> None:
    assert local_time(NOW, zone) == shown


def test_the_same_wall_time_after_spring_forward_shows_summer_time() -> None:
    assert local_time(datetime(2026, 3, 29, 8, 0, tzinfo=UTC), "Europe/Berlin") == (
        "Sun 29 Mar 2026, 10:00 CEST"
    )
