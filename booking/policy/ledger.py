"""The double-entry ledger's rules: which accounts move for each kind of money movement.

Every transaction is a list of lines in one currency whose amounts sum to zero: debits are
positive, credits negative. The accounts:

- `cash`: money the platform holds at its payment provider (debit balance);
- `platform_fees`: the platform's commission, its revenue (credit balance);
- `coach_payable`: what the platform owes a coach (credit balance, one per coach);
- `processing_fees`: what the payment provider kept of the charges (Stripe's fee from each
  charge's balance transaction), a cost the platform bears (debit balance). Stripe keeps its
  fee when a payment is refunded, so a fully refunded booking leaves the fee as the
  platform's loss, and `cash` then matches what Stripe's balance holds.

| Movement | Lines |
| --- | --- |
| charge of P with commission C | cash +P, platform_fees -C, coach_payable -(P-C) |
| refund of R (fee part F)      | cash -R, platform_fees +F, coach_payable +(R-F) |
| payout of X to a coach        | coach_payable +X, cash -X |
| provider's fee F on a charge  | processing_fees +F, cash -F |

A coach's balance is minus the sum of their `coach_payable` lines: what the platform owes them.
The commission and its refunded part follow `booking.policy.commission`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from booking.money import Money
from booking.policy.commission import fee_returned, split


class Account(StrEnum):
    CASH = "cash"
    PLATFORM_FEES = "platform_fees"
    COACH_PAYABLE = "coach_payable"
    PROCESSING_FEES = "processing_fees"


class Kind(StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    PAYOUT = "payout"
    PROCESSING_FEE = "processing_fee"


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Money


def charge(price: Money, commission_bps: int) -> list[Line]:
    """A client's payment of `price` for a booking."""
    if price.minor <= 0:
        raise ValueError("a charge is for a positive amount")
    parts = split(price, commission_bps)
    return [
        Line(Account.CASH, price),
        Line(Account.PLATFORM_FEES, _neg(parts.platform_fee)),
        Line(Account.COACH_PAYABLE, _neg(parts.coach_share)),
    ]


def refund(price: Money, commission_bps: int, refunded_before: Money, amount: Money) -> list[Line]:
    """A refund of `amount` of a charge of `price`, after `refunded_before` went back."""
    fee = fee_returned(price, commission_bps, refunded_before, amount)
    return [
        Line(Account.CASH, _neg(amount)),
        Line(Account.PLATFORM_FEES, fee),
        Line(Account.COACH_PAYABLE, amount - fee),
    ]


def processing_fee(fee: Money) -> list[Line]:
    """The provider kept `fee` of a charge: the platform's cost, out of the cash it holds."""
    if fee.minor < 0:
        raise ValueError("a processing fee is never negative")
    return [Line(Account.PROCESSING_FEES, fee), Line(Account.CASH, _neg(fee))]


def payout(amount: Money) -> list[Line]:
    """Paying `amount` of a coach's balance out to them."""
    if amount.minor <= 0:
        raise ValueError("a payout is for a positive amount")
    return [Line(Account.COACH_PAYABLE, amount), Line(Account.CASH, _neg(amount))]


def balanced(lines: Iterable[Line]) -> bool:
    """One currency, and the amounts sum to zero."""
    lines = list(lines)
    return (
        len({line.amount.currency for line in lines}) == 1
        and sum(line.amount.minor for line in lines) == 0
    )


def _neg(money: Money) -> Money:
    return Money(-money.minor, money.currency)
