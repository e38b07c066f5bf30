"""The outcome rules (booking.policy.outcomes), with tables of attendance intervals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.policy.outcomes import Attendance, Interval, Rules, decide, early, merged
from booking.policy.states import Status

START = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
END = START + timedelta(minutes=50)
AFTER = END + timedelta(minutes=1)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _session(coach: list[Interval], client: list[Interval]) -> Attendance:
    return Attendance(START, END, coach, client)


def iv(a: float, b: float | None) -> Interval:
    return Interval(at(a), None if b is None else at(b))


@pytest.mark.parametrize(
    ("coach", "client", "expected"),
    [
        # together exactly half the booked time: completed
        ([iv(0, 50)], [iv(25, 50)], Status.COMPLETED),
        # one minute short of half: not completed, but both came within grace
        ([iv(0, 50)], [iv(10, 34)], Status.INTERRUPTED),
        # joined early (clipped at start), still there at the end (open interval)
        ([iv(-10, None)], [iv(-5, None)], Status.COMPLETED),
        # reconnects: the client's pieces add up to 30 min together
        ([iv(0, 50)], [iv(0, 10), iv(12, 22), iv(30, 40)], Status.COMPLETED),
        # a second socket for the same person (phone beside browser) does not count twice
        ([iv(0, 50)], [iv(0, 20), iv(0, 20)], Status.INTERRUPTED),
        # coach there, client never
        ([iv(0, 50)], [], Status.NO_SHOW_CLIENT),
        # client only came after the grace period and stayed briefly
        ([iv(0, 50)], [iv(16, 20)], Status.NO_SHOW_CLIENT),
        # client joined at 14:59 into grace: came in time
        ([iv(0, 50)], [iv(14.99, 16)], Status.INTERRUPTED),
        # mirror: client there, coach never
        ([], [iv(0, 50)], Status.NO_SHOW_COACH),
        ([iv(20, 25)], [iv(0, 50)], Status.NO_SHOW_COACH),
        # nobody came
        ([], [], Status.INTERRUPTED),
        # both came late, met 30 min: completed beats the lateness
        ([iv(16, 50)], [iv(17, 50)], Status.COMPLETED),
        # both late and brief: interrupted
        ([iv(16, 20)], [iv(17, 20)], Status.INTERRUPTED),
        # presence outside the booked time counts for nothing
        ([iv(-30, -1), iv(51, 60)], [iv(0, 50)], Status.NO_SHOW_COACH),
    ],
)
def test_the_outcome_follows_the_rules(
    coach: list[Interval], client: list[Interval], expected: Status
) -> None:
    assert decide(_session(coach, client), AFTER) is expected


def test_the_thresholds_come_from_the_rules() -> None:
    coach, client = [iv(0, 50)], [iv(0, 20)]
    assert decide(_session(coach, client), AFTER) is Status.INTERRUPTED
    assert decide(_session(coach, client), AFTER, Rules(together=0.4)) is Status.COMPLETED
    late = [iv(20, 50)]
    assert decide(_session([iv(0, 50)], late), AFTER, Rules(together=0.9)) is (
        Status.NO_SHOW_CLIENT
    )
    assert (
        decide(_session([iv(0, 50)], late), AFTER, Rules(together=0.9, grace=timedelta(minutes=25)))
        is Status.INTERRUPTED
    )


def test_an_open_interval_counts_only_until_now() -> None:
    assert merged([iv(0, None)], START, END, at(10)) == [(START, at(10))]


@pytest.mark.parametrize(
    ("now", "coach", "client", "expected"),
    [
        (at(14), [iv(0, None)], [], None),  # grace not over
        (at(15), [iv(0, None)], [], None),  # 35 min left: the client could still complete
        (at(25), [iv(0, None)], [], None),  # exactly half left: still possible
        (at(26), [iv(0, None)], [], Status.NO_SHOW_CLIENT),
        (at(26), [], [iv(0, None)], Status.NO_SHOW_COACH),
        (at(26), [], [], None),  # nobody came: the end decides (interrupted)
        (at(26), [iv(0, None)], [iv(3, 5)], None),  # both came: not a no-show
        (END, [iv(0, None)], [], None),  # at the end `decide` answers, not `early`
    ],
)
def test_an_early_no_show_only_once_completion_is_impossible(
    now: datetime, coach: list[Interval], client: list[Interval], expected: Status | None
) -> None:
    assert early(_session(coach, client), now) is expected
