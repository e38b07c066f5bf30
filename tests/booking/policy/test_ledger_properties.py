"""Property tests over the money rules: the ledger always balances, nothing goes negative, and
no cent appears or disappears, whatever the prices, commissions, refund times and refunds."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from booking.money import CURRENCIES, Money
from booking.policy import ledger
from booking.policy.commission import MAX_BPS, MIN_BPS, split
from booking.policy.pricing import session_price
from booking.policy.refunds import Cause, RefundPolicy, refund_for

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)

currencies = st.sampled_from(sorted(CURRENCIES))
prices = st.integers(min_value=1, max_value=10_000_000)
commissions = st.integers(min_value=MIN_BPS, max_value=MAX_BPS)


def totals(transactions: list[list[ledger.Line]]) -> dict[str, int]:
    sums: dict[str, int] = defaultdict(int)
    for lines in transactions:
        for line in lines:
            sums[line.account.value] += line.amount.minor
    return sums


@given(price=prices, bps=commissions, currency=currencies)
def test_a_split_adds_up_and_stays_in_range(price: int, bps: int, currency: str) -> None:
    parts = split(Money(price, currency), bps)
    assert parts.platform_fee.minor + parts.coach_share.minor == price
    assert 0 <= parts.platform_fee.minor <= parts.coach_share.minor
    # The fee is the exact share rounded down: off by less than one minor unit.
    assert 0 <= price * bps - parts.platform_fee.minor * 10000 < 10000


@given(
    price=prices,
    bps=commissions,
    currency=currencies,
    fractions=st.lists(st.integers(min_value=1, max_value=10000), max_size=6),
    paid_out=st.booleans(),
)
def test_charges_partial_refunds_and_payouts_balance(
    price: int, bps: int, currency: str, fractions: list[int], paid_out: bool
) -> None:
    total = Money(price, currency)
    transactions = [ledger.charge(total, bps)]
    refunded = Money(0, currency)
    for fraction in fractions:
        left = price - refunded.minor
        amount = min(left, max(1, price * fraction // 10000))
        if amount <= 0:
            break
        transactions.append(ledger.refund(total, bps, refunded, Money(amount, currency)))
        refunded = refunded + Money(amount, currency)
    owed = -totals(transactions)[ledger.Account.COACH_PAYABLE.value]
    if paid_out and owed > 0:
        transactions.append(ledger.payout(Money(owed, currency)))
    assert all(ledger.balanced(lines) for lines in transactions)
    sums = totals(transactions)
    assert sum(sums.values()) == 0  # no cent appears or disappears
    cash = sums[ledger.Account.CASH.value]
    fees = -sums[ledger.Account.PLATFORM_FEES.value]
    payable = -sums[ledger.Account.COACH_PAYABLE.value]
    assert min(cash, fees, payable) >= 0  # nothing negative
    assert cash == price - refunded.minor - (owed if paid_out and owed > 0 else 0)
    if refunded.minor == price:  # a full refund leaves nothing with anyone
        assert (fees, payable) == (0, 0)


@given(
    rate=st.integers(min_value=100, max_value=1_000_000),
    duration=st.sampled_from([15, 30, 45, 50, 60, 90, 120]),
    bps=commissions,
    currency=currencies,
    hours_before=st.floats(min_value=-48, max_value=24 * 30, allow_nan=False),
    cause=st.sampled_from(list(Cause)),
    late_bps=st.integers(min_value=0, max_value=10000),
)
def test_refunds_by_policy_stay_within_what_was_paid(
    rate: int,
    duration: int,
    bps: int,
    currency: str,
    hours_before: float,
    cause: Cause,
    late_bps: int,
) -> None:
    paid = session_price(Money(rate, currency), duration)  # the coach's rate for the session
    price = paid.minor
    quote = refund_for(
        paid=paid,
        refunded=Money(0, currency),
        starts_at=START,
        at=START - timedelta(hours=hours_before),
        cause=cause,
        policy=RefundPolicy(late_bps=late_bps),
    )
    assert 0 <= quote.amount.minor <= price
    transactions = [ledger.charge(paid, bps)]
    if quote.amount.minor:
        transactions.append(ledger.refund(paid, bps, Money(0, currency), quote.amount))
    sums = totals(transactions)
    assert sum(sums.values()) == 0
    assert -sums[ledger.Account.COACH_PAYABLE.value] >= 0
    assert -sums[ledger.Account.PLATFORM_FEES.value] >= 0
