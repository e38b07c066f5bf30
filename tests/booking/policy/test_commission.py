"""Commission: one rounding rule, and parts that always add up."""

from __future__ import annotations

import pytest

from booking.money import Money
from booking.policy.commission import fee_returned, split


def test_the_commission_rounds_down_and_the_coach_gets_the_rest() -> None:
    parts = split(Money(10001, "USD"), 2000)
    assert (parts.platform_fee, parts.coach_share) == (Money(2000, "USD"), Money(8001, "USD"))


def test_currencies_without_minor_units_split_the_same_way() -> None:
    parts = split(Money(1999, "JPY"), 1500)
    assert (parts.platform_fee.minor, parts.coach_share.minor) == (299, 1700)


@pytest.mark.parametrize("bps", [1499, 2501, 0, 10000])
def test_a_commission_outside_15_to_25_percent_is_refused(bps: int) -> None:
    with pytest.raises(ValueError, match="commission"):
        split(Money(10000, "USD"), bps)


def test_partial_refunds_return_the_whole_fee_without_drift() -> None:
    price = Money(9999, "EUR")
    parts = [Money(3333, "EUR"), Money(3333, "EUR"), Money(3333, "EUR")]
    returned, before = 0, Money(0, "EUR")
    for part in parts:
        returned += fee_returned(price, 2250, before, part).minor
        before = before + part
    assert returned == split(price, 2250).platform_fee.minor


def test_a_refund_beyond_the_price_is_refused() -> None:
    with pytest.raises(ValueError, match="exceed"):
        fee_returned(Money(100, "USD"), 2000, Money(60, "USD"), Money(41, "USD"))
