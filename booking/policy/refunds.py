"""Refunds on cancellation and no-show: one pure function, `refund_for`.

The default policy (`RefundPolicy()`), published to clients and coaches:

| Who / when                                   | Refund          |
| -------------------------------------------- | --------------- |
| Client cancels 24 h or more before the start | 100%            |
| Client cancels later than that               | 50%             |
| Client does not show                         | 0%              |
| Coach cancels, or does not show              | 100% (counts against the coach) |
| Client abandons a hold (nothing was paid)    | nothing to refund |

24 h or more ahead the coach can still resell the slot, so the client gets everything back;
later the slot is hard to fill, so the coach keeps half; a client who never shows pays in full.
A coach who cancels or does not show never costs the client anything. The notice is measured
from the cancellation's time on the server clock (UTC) to the booking's start; exactly 24 h is
"24 h or more". Both thresholds are settings (REFUND_FULL_NOTICE_HOURS, REFUND_LATE_PERCENT).

Rounding: a percentage of the amount paid is rounded up to a whole minor unit, in the client's
favour (50% of 10 001 cents is 5 001). The refund never exceeds what is left to refund (paid
minus earlier refunds), and nothing paid means nothing refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from booking.money import Money
from booking.policy import states

FULL = 10000


class Cause(StrEnum):
    CLIENT_CANCELED = "client_canceled"
    CLIENT_NO_SHOW = "client_no_show"
    COACH_CANCELED = "coach_canceled"
    COACH_NO_SHOW = "coach_no_show"


class Rule(StrEnum):
    """Which row of the policy applied (shown to the client with the amount)."""

    CLIENT_WITH_NOTICE = "client_with_notice"
    CLIENT_LATE = "client_late"
    CLIENT_NO_SHOW = "client_no_show"
    COACH = "coach"


@dataclass(frozen=True)
class RefundPolicy:
    full_notice_hours: int = 24
    late_bps: int = 5000
    client_no_show_bps: int = 0

    def __post_init__(self) -> None:
        if self.full_notice_hours < 0:
            raise ValueError("the notice is a non-negative number of hours")
        for bps in (self.late_bps, self.client_no_show_bps):
            if not 0 <= bps <= FULL:
                raise ValueError("refund shares run from 0 to 10000 basis points")


@dataclass(frozen=True)
class RefundQuote:
    amount: Money
    rule: Rule
    bps: int


def rule_for(cause: Cause, starts_at: datetime, at: datetime, policy: RefundPolicy) -> Rule:
    if cause in (Cause.COACH_CANCELED, Cause.COACH_NO_SHOW):
        return Rule.COACH
    if cause is Cause.CLIENT_NO_SHOW:
        return Rule.CLIENT_NO_SHOW
    if starts_at - at >= timedelta(hours=policy.full_notice_hours):
        return Rule.CLIENT_WITH_NOTICE
    return Rule.CLIENT_LATE


def refund_for(
    *,
    paid: Money,
    refunded: Money,
    starts_at: datetime,
    at: datetime,
    cause: Cause,
    policy: RefundPolicy,
) -> RefundQuote:
    """What to refund of `paid` (of which `refunded` went back already) for `cause` at `at`."""
    if paid.minor < 0 or refunded.minor < 0 or refunded.minor > paid.minor:
        raise ValueError("paid and refunded are non-negative, refunded at most paid")
    rule = rule_for(cause, starts_at, at, policy)
    bps = {
        Rule.COACH: FULL,
        Rule.CLIENT_WITH_NOTICE: FULL,
        Rule.CLIENT_LATE: policy.late_bps,
        Rule.CLIENT_NO_SHOW: policy.client_no_show_bps,
    }[rule]
    share = -(-paid.minor * bps // FULL)  # rounded up: in the client's favour
    left = paid.minor - refunded.minor
    return RefundQuote(Money(min(share, left), paid.currency), rule, bps)


def cancel_event(status: states.Status, *, by_coach: bool) -> states.Event:
    """The state-machine event a cancellation is: the coach cancels, the client abandons a
    hold or cancels a confirmed session."""
    if by_coach:
        return states.Event.CANCEL_BY_COACH
    if status is states.Status.HELD:
        return states.Event.ABANDON
    return states.Event.CANCEL_BY_CLIENT


CAUSES: dict[states.Event, Cause] = {
    states.Event.CANCEL_BY_CLIENT: Cause.CLIENT_CANCELED,
    states.Event.CANCEL_BY_COACH: Cause.COACH_CANCELED,
    states.Event.NO_SHOW_CLIENT: Cause.CLIENT_NO_SHOW,
    states.Event.NO_SHOW_COACH: Cause.COACH_NO_SHOW,
}


@dataclass(frozen=True)
class Terms:
    """The client's cancellation terms for one booking, in words a payment page shows: a full
    refund until `free_until`, `late` (of `price`) after that, until the start."""

    free_until: datetime
    price: Money
    late: Money
    late_bps: int


def terms_for(price: Money, starts_at: datetime, policy: RefundPolicy) -> Terms:
    """The terms of a client's cancellation of a session at `starts_at` costing `price`."""
    free_until = starts_at - timedelta(hours=policy.full_notice_hours)
    late = refund_for(
        paid=price,
        refunded=Money(0, price.currency),
        starts_at=starts_at,
        at=free_until + timedelta(microseconds=1),
        cause=Cause.CLIENT_CANCELED,
        policy=policy,
    )
    return Terms(free_until, price, late.amount, policy.late_bps)
