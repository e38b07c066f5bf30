"""The platform's commission: how a price splits between the platform and the coach.

A client pays the coach's price and nothing more; the platform's commission comes out of it.
Admins set each coach's commission (tier) between 15% and 25%, kept as integer basis points
(2000 is 20%) and fixed on a booking when its slot is held.

One rounding rule, in integer minor units: the commission is `price * bps / 10000` rounded
down to a whole minor unit, and the coach's share is the price minus the commission, so the two
always add up to the price and any fraction of a cent goes to the coach.

A refund hands back the commission in proportion: after refunds totalling `R` of a price `P`
with commission `C`, the platform has returned `C * R / P` rounded down. Each refund's fee
part is the difference between that figure after and before it, so a series of partial refunds
never drifts and a refund of the whole price returns exactly the whole commission.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.money import Money

MIN_BPS = 1500
MAX_BPS = 2500


@dataclass(frozen=True)
class Split:
    price: Money
    platform_fee: Money
    coach_share: Money


def split(price: Money, commission_bps: int) -> Split:
    """The platform's fee and the coach's share of `price`."""
    if not MIN_BPS <= commission_bps <= MAX_BPS:
        raise ValueError(f"commission runs from {MIN_BPS} to {MAX_BPS} basis points")
    if price.minor < 0:
        raise ValueError("a price is never negative")
    fee = price.share(commission_bps)
    return Split(price, fee, price - fee)


def fee_returned(price: Money, commission_bps: int, refunded_before: Money, amount: Money) -> Money:
    """The platform fee handed back by a refund of `amount` after `refunded_before`."""
    if amount.minor <= 0 or refunded_before.minor < 0:
        raise ValueError("a refund is positive and follows non-negative refunds")
    if refunded_before.minor + amount.minor > price.minor:
        raise ValueError("refunds cannot exceed the price")
    fee = split(price, commission_bps).platform_fee
    before = fee.minor * refunded_before.minor // price.minor
    after = fee.minor * (refunded_before.minor + amount.minor) // price.minor
    return Money(after - before, price.currency)
