"""Who may enter a session's room, and when (booking.policy.sessions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.policy import sessions as rules
from booking.policy.sessions import (
    Entry,
    deadlines,
    entry,
    remaining_seconds,
    room_has_space,
)

START = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
END = START + timedelta(minutes=50)
EARLY = timedelta(minutes=10)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        ("confirmed", START - EARLY - timedelta(seconds=1), Entry.TOO_EARLY),
        ("confirmed", START - EARLY, Entry.OPEN),
        ("confirmed", END - timedelta(seconds=1), Entry.OPEN),
        ("confirmed", END, Entry.OVER),
        ("in_progress", START + timedelta(minutes=5), Entry.OPEN),
        ("held", START, Entry.NOT_CONFIRMED),
        ("canceled_by_client", START, Entry.NOT_CONFIRMED),
        ("canceled_by_coach", START, Entry.NOT_CONFIRMED),
        ("expired", START, Entry.NOT_CONFIRMED),
        # A decided session is over, even inside its booked time.
        ("completed", START, Entry.OVER),
        ("no_show_client", START, Entry.OVER),
        ("no_show_coach", START, Entry.OVER),
        ("interrupted", START + timedelta(minutes=5), Entry.OVER),
    ],
)
def test_the_room_is_open_to_a_confirmed_booking_inside_its_window(
    status: str, now: datetime, expected: Entry
) -> None:
    assert entry(status, START, END, now, EARLY) is expected


def test_the_room_stays_open_through_the_grace_after_the_end() -> None:
    grace = timedelta(minutes=2)
    assert entry("confirmed", START, END, END + grace - timedelta(seconds=1), EARLY, grace) is (
        Entry.OPEN
    )
    assert entry("confirmed", START, END, END + grace, EARLY, grace) is Entry.OVER


def test_the_timers_are_the_warnings_still_ahead_and_always_the_hard_stop() -> None:
    grace = timedelta(minutes=2)
    early = deadlines(END, (60, 300), grace, START)
    assert early == [
        ("w300", END - timedelta(minutes=5)),
        ("w60", END - timedelta(minutes=1)),
        (rules.END, END + grace),
    ]
    late = deadlines(END, (300, 60), grace, END - timedelta(minutes=3))
    assert [kind for kind, _ in late] == ["w60", rules.END]
    after = deadlines(END, (300, 60), grace, END + timedelta(hours=1))
    assert after == [(rules.END, END + grace)]  # a missed hard stop is still fired
    assert [remaining_seconds(kind) for kind, _ in early] == [300, 60, None]


def test_a_room_holds_its_coach_and_its_client() -> None:
    for session_type in ("video", "phone", "chat"):
        assert room_has_space(session_type, 0)
        assert room_has_space(session_type, 1)
        assert not room_has_space(session_type, 2)
