"""The dashboard's arithmetic (booking.policy.dashboard), with tables of plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from booking.policy.dashboard import (
    Average,
    Rate,
    Retention,
    Said,
    Visit,
    chat_waits,
    median,
    month_of,
    monthly_average,
    months,
    outcome_rates,
    retention,
)

T0 = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "zone", "count", "expected"),
    [
        # New York: EST in winter, EDT from 8 March; the local month, not UTC's
        (
            z("2026-04-01T02:00"),
            "America/New_York",
            2,
            [
                ("2026-02", z("2026-02-01T05:00"), z("2026-03-01T05:00")),
                ("2026-03", z("2026-03-01T05:00"), z("2026-04-01T04:00")),
            ],
        ),
        # across a new year, in a zone ahead of UTC
        (
            z("2025-12-31T23:30"),
            "Asia/Tokyo",
            2,
            [
                ("2025-12", z("2025-11-30T15:00"), z("2025-12-31T15:00")),
                ("2026-01", z("2025-12-31T15:00"), z("2026-01-31T15:00")),
            ],
        ),
        # one month, UTC
        (z("2026-03-15T00:00"), "UTC", 1, [("2026-03", z("2026-03-01"), z("2026-04-01"))]),
        # a month in which clocks skip a midnight (Santiago, 6 September: 00:00 -> 01:00)
        (
            z("2026-09-10T12:00"),
            "America/Santiago",
            1,
            [("2026-09", z("2026-09-01T04:00"), z("2026-10-01T03:00"))],
        ),
    ],
)
def test_months_are_local_calendar_months(
    now: datetime, zone: str, count: int, expected: list[tuple[str, datetime, datetime]]
) -> None:
    assert [(m.label, m.start, m.end) for m in months(now, ZoneInfo(zone), count)] == expected


def test_twenty_four_months_are_contiguous_and_end_with_this_one() -> None:
    found = months(z("2026-03-10T12:00"), NEW_YORK, 24)
    assert (found[0].label, found[-1].label, len(found)) == ("2024-04", "2026-03", 24)
    assert all(a.end == b.start for a, b in pairwise(found))
    with pytest.raises(ValueError, match="at least one month"):
        months(T0, NEW_YORK, 0)


@pytest.mark.parametrize(
    ("at", "label"),
    [
        (z("2026-04-01T03:59"), "2026-03"),  # 23:59 on 31 March in New York
        (z("2026-04-01T04:00"), "2026-04"),
    ],
)
def test_month_of_reads_the_local_date(at: datetime, label: str) -> None:
    assert month_of(at, NEW_YORK) == label


@pytest.mark.parametrize(
    ("counts", "decided", "completed", "no_show_client", "no_show_coach"),
    [
        ({}, 0, None, None, None),
        # canceled, expired and undecided bookings are not counted
        ({"canceled_by_client": 3, "expired": 1, "confirmed": 2}, 0, None, None, None),
        ({"completed": 3, "no_show_client": 1}, 4, 0.75, 0.25, 0.0),
        # an interrupted session waits for an admin, but it was decided: the rates leave it out
        ({"completed": 1, "no_show_coach": 2, "interrupted": 1}, 4, 0.25, 0.0, 0.5),
    ],
)
def test_outcome_rates(
    counts: dict[str, int],
    decided: int,
    completed: float | None,
    no_show_client: float | None,
    no_show_coach: float | None,
) -> None:
    found = outcome_rates(counts)
    assert found.decided == decided
    assert (
        found.completed.value,
        found.no_show_client.value,
        found.no_show_coach.value,
    ) == (completed, no_show_client, no_show_coach)
    assert found.completed == Rate(counts.get("completed", 0), decided)


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([5.0], 5.0), ([3.0, 1.0, 2.0], 2.0), ([60.0, 180.0], 120.0)],
)
def test_median(values: list[float], expected: float | None) -> None:
    assert median(values) == expected


def said(pattern: str, *minutes: float) -> list[Said]:
    """`pattern` letters k (client) / c (coach), one per minute given."""
    return [
        Said(T0 + timedelta(minutes=m), who == "c") for who, m in zip(pattern, minutes, strict=True)
    ]


@pytest.mark.parametrize(
    ("room", "expected"),
    [
        ([], []),
        (said("k", 0), []),  # unanswered: nothing to measure yet
        (said("c", 0), []),  # the coach spoke first: nothing waited
        (said("kc", 0, 2), [120.0]),
        (said("kkc", 0, 1, 3), [180.0]),  # a run of client messages waits from its first
        (said("kcck", 0, 1, 2, 5), [60.0]),  # a second coach message answers nothing
        (said("kckc", 0, 1, 5, 5.5), [60.0, 30.0]),
    ],
)
def test_chat_waits(room: list[Said], expected: list[float]) -> None:
    assert chat_waits(room) == expected


DAY = timedelta(days=1)


def visit(client: str, day: float) -> Visit:
    start = T0 + day * DAY
    return Visit(client, start, start + timedelta(minutes=50))


@pytest.mark.parametrize(
    ("completed", "later", "expected"),
    [
        ([], [], Retention(0, 0)),
        # booked again 30 days later; not booked again
        ([visit("a", 0), visit("b", 0)], [visit("a", 30)], Retention(1, 2)),
        # the window is 60 days after the session's end, inclusive
        ([visit("a", 0)], [visit("a", 60)], Retention(1, 1)),
        ([visit("a", 0)], [visit("a", 61)], Retention(0, 1)),
        # a booking before the session does not follow it; the session itself neither
        ([visit("a", 10)], [visit("a", 0), visit("a", 10)], Retention(0, 1)),
        # another client's booking does not count; two sessions, one client
        ([visit("a", 0), visit("a", 7)], [visit("b", 8)], Retention(0, 1)),
        ([visit("a", 0), visit("a", 7)], [visit("a", 7)], Retention(1, 1)),
    ],
)
def test_retention(completed: list[Visit], later: list[Visit], expected: Retention) -> None:
    assert retention(completed, later) == expected


def test_retention_rate_is_none_without_clients() -> None:
    assert (Retention(0, 0).rate, Retention(1, 4).rate) == (None, 0.25)


def test_monthly_average_fills_every_month() -> None:
    found = monthly_average(
        [("2026-02", 5), ("2026-02", 4), ("2026-03", 3), ("2025-01", 1)],
        ["2026-01", "2026-02", "2026-03"],
    )
    assert found == [
        Average("2026-01", None, 0),
        Average("2026-02", 4.5, 2),
        Average("2026-03", 3.0, 1),
    ]
