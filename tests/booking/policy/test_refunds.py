"""The cancellation policy's rows, at and around their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.money import Money
from booking.policy import states
from booking.policy.refunds import Cause, RefundPolicy, Rule, cancel_event, refund_for

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
PAID = Money(10001, "USD")
NOTHING = Money(0, "USD")
DEFAULT = RefundPolicy()


def quote(cause: Cause, hours_before: float, policy: RefundPolicy = DEFAULT) -> tuple[int, Rule]:
    at = START - timedelta(hours=hours_before)
    q = refund_for(paid=PAID, refunded=NOTHING, starts_at=START, at=at, cause=cause, policy=policy)
    return q.amount.minor, q.rule


@pytest.mark.parametrize(
    ("cause", "hours_before", "expected"),
    [
        (Cause.CLIENT_CANCELED, 72, (10001, Rule.CLIENT_WITH_NOTICE)),
        (Cause.CLIENT_CANCELED, 24, (10001, Rule.CLIENT_WITH_NOTICE)),
        (Cause.CLIENT_CANCELED, 23.99, (5001, Rule.CLIENT_LATE)),  # 50%, rounded up
        (Cause.CLIENT_CANCELED, 0.5, (5001, Rule.CLIENT_LATE)),
        (Cause.CLIENT_NO_SHOW, 0, (0, Rule.CLIENT_NO_SHOW)),
        (Cause.COACH_CANCELED, 1, (10001, Rule.COACH)),
        (Cause.COACH_NO_SHOW, -1, (10001, Rule.COACH)),
    ],
)
def test_the_default_policy(cause: Cause, hours_before: float, expected: tuple[int, Rule]) -> None:
    assert quote(cause, hours_before) == expected


def test_the_policy_is_configurable() -> None:
    strict = RefundPolicy(full_notice_hours=48, late_bps=2500)
    assert quote(Cause.CLIENT_CANCELED, 30, strict) == (2501, Rule.CLIENT_LATE)


def test_a_refund_never_exceeds_what_is_left() -> None:
    q = refund_for(
        paid=PAID,
        refunded=Money(9000, "USD"),
        starts_at=START,
        at=START - timedelta(days=3),
        cause=Cause.CLIENT_CANCELED,
        policy=RefundPolicy(),
    )
    assert q.amount == Money(1001, "USD")


def test_who_cancels_decides_the_event() -> None:
    assert cancel_event(states.Status.HELD, by_coach=False) is states.Event.ABANDON
    assert cancel_event(states.Status.CONFIRMED, by_coach=False) is states.Event.CANCEL_BY_CLIENT
    assert cancel_event(states.Status.CONFIRMED, by_coach=True) is states.Event.CANCEL_BY_COACH


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="basis points"):
        RefundPolicy(late_bps=10001)
