"""When a payment counts as made in time for its hold (booking.policy.payments), and the one
way back from `expired`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.policy import states
from booking.policy.payments import paid_in_time

ENDS = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("succeeded_at", "now", "in_time"),
    [
        (ENDS - 600 * SECOND + SECOND / 10, ENDS + 3600 * SECOND, True),  # paid 0.1 s in
        (ENDS, ENDS + SECOND, True),  # paid at the very end
        (ENDS + SECOND, ENDS + 2 * SECOND, False),  # paid after the end
        (None, ENDS + SECOND, False),  # no time from the provider: judged now
        (None, ENDS - SECOND, True),  # the hold is live
        (ENDS + 3600 * SECOND, ENDS - SECOND, True),  # live: the provider's clock is off
    ],
)
def test_a_payment_is_judged_by_when_it_was_made(
    succeeded_at: datetime | None, now: datetime, in_time: bool
) -> None:
    assert paid_in_time(ENDS, succeeded_at, now) is in_time


def test_no_hold_no_time() -> None:
    assert not paid_in_time(None, ENDS, ENDS - SECOND)


def test_only_a_payment_brings_an_expired_hold_back_and_nobody_can_ask_for_it() -> None:
    assert states.transition(states.Status.EXPIRED, states.Event.PAY_IN_TIME) is (
        states.Status.CONFIRMED
    )
    assert states.accepts(states.Status.EXPIRED) == frozenset()
    with pytest.raises(states.IllegalTransition):
        states.transition(states.Status.EXPIRED, states.Event.PAY)
