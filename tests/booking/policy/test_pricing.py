"""Session prices: hourly rate times duration, rounded half up once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from booking.money import Money
from booking.policy.pricing import session_price


def test_fifty_minutes_at_120_an_hour_is_100() -> None:
    assert session_price(Money(120_00, "USD"), 50) == Money(100_00, "USD")


def test_half_a_minor_unit_rounds_up() -> None:
    # 45 minutes at 0.50/hour is 0.375 -> 0.38; 30 minutes at 0.01/hour is 0.005 -> 0.01
    assert session_price(Money(50, "USD"), 45) == Money(38, "USD")
    assert session_price(Money(1, "USD"), 30) == Money(1, "USD")


def test_currency_without_minor_unit_keeps_whole_units() -> None:
    assert session_price(Money(9000, "JPY"), 50) == Money(7500, "JPY")


@given(
    rate=st.integers(min_value=1, max_value=10**7),
    duration=st.sampled_from([15, 30, 45, 50, 60, 75, 90, 120]),
)
def test_price_is_within_half_a_unit_of_the_exact_value(rate: int, duration: int) -> None:
    price = session_price(Money(rate, "EUR"), duration)
    assert abs(price.minor * 60 - rate * duration) <= 30
    assert price.currency == "EUR"
