"""Who may move a session, and when: the rulebook with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.policy.reschedules import Verdict, may_reschedule

START = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours_before", "by_coach", "consent", "verdict"),
    [
        (48, False, False, Verdict.ALLOWED),
        (24, False, False, Verdict.ALLOWED),  # exactly the notice: not inside it
        (23.99, False, False, Verdict.NEEDS_CONSENT),
        (23.99, False, True, Verdict.NEEDS_CONSENT),  # a client cannot consent for the coach
        (23.99, True, False, Verdict.NEEDS_CONSENT),
        (23.99, True, True, Verdict.ALLOWED),
        (48, True, False, Verdict.ALLOWED),
        (0, True, True, Verdict.STARTED),
        (-1, False, False, Verdict.STARTED),
    ],
)
def test_who_may_move_a_session(
    hours_before: float, by_coach: bool, consent: bool, verdict: Verdict
) -> None:
    now = START - timedelta(hours=hours_before)
    got = may_reschedule(
        current_start=START, now=now, notice_hours=24, by_coach=by_coach, coach_consent=consent
    )
    assert got is verdict
