"""Posting money movements to the ledger, and what a coach has earned.

The services that move money (payments, refunds, payouts) post here in the transaction that
records the movement, with a key that makes a second posting a no-op. A coach's earnings are
derived from the ledger alone, never kept as a running total:

- gross: what clients paid for the coach's sessions (charges);
- commission: the platform's fees, net of the part refunds handed back;
- refunds: what went back to clients;
- paid_out: what was transferred to the coach;
- pending: owed for sessions not yet over (or with a refund under way);
- available: owed and ready for the next payout.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import Money
from booking.policy import ledger, states
from booking.storage import ledger as store
from booking.storage import payouts as payout_store
from booking.storage.bookings import Booking, Payment
from booking.storage.coaches import Coach
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Forbidden

Period = Literal["month", "week"]

# Bookings whose money is settled: the coach's share of them can be paid out. An interrupted
# session waits for an admin's resolution (booking.services.attendance).
SETTLED = tuple(
    s.value for s in states.Status if s not in states.LIVE and s is not states.Status.INTERRUPTED
)


async def post_charge(
    session: AsyncSession, payment: Payment, booking: Booking, at: datetime
) -> None:
    price = Money(payment.amount_minor, payment.currency)
    await store.post(
        session,
        key=f"charge:{payment.id}",
        kind=ledger.Kind.CHARGE.value,
        lines=_lines(ledger.charge(price, booking.commission_bps)),
        at=at,
        coach_id=booking.coach_id,
        booking_id=booking.id,
    )


async def post_fee(
    session: AsyncSession, payment: Payment, booking: Booking, fee: Money, at: datetime
) -> None:
    """The provider's processing fee for a payment, once (nothing for a fee of zero). The
    platform bears it: no coach's balance moves, so it is no coach's transaction."""
    if fee.minor == 0:
        return
    await store.post(
        session,
        key=f"fee:{payment.id}",
        kind=ledger.Kind.PROCESSING_FEE.value,
        lines=_lines(ledger.processing_fee(fee)),
        at=at,
        coach_id=None,
        booking_id=booking.id,
    )


async def post_refund(
    session: AsyncSession,
    refund_id: uuid.UUID,
    payment: Payment,
    booking: Booking,
    amount: Money,
    at: datetime,
) -> None:
    """Post a refund of `amount`; `payment.refunded_minor` is what went back before it."""
    price = Money(payment.amount_minor, payment.currency)
    before = Money(payment.refunded_minor, payment.currency)
    await store.post(
        session,
        key=f"refund:{refund_id}",
        kind=ledger.Kind.REFUND.value,
        lines=_lines(ledger.refund(price, booking.commission_bps, before, amount)),
        at=at,
        coach_id=booking.coach_id,
        booking_id=booking.id,
    )


async def reverse_refund(
    session: AsyncSession, refund_id: uuid.UUID, booking: Booking, at: datetime
) -> None:
    """Undo the posting of a refund that failed after it succeeded: its entries negated, as a
    refund transaction of its own (so earnings count it back), once."""
    lines = await store.lines_of(session, f"refund:{refund_id}")
    if not lines:
        return  # never posted: nothing to undo
    await store.post(
        session,
        key=f"refund-failed:{refund_id}",
        kind=ledger.Kind.REFUND.value,
        lines=[(account, Money(-amount.minor, amount.currency)) for account, amount in lines],
        at=at,
        coach_id=booking.coach_id,
        booking_id=booking.id,
    )


async def post_payout(
    session: AsyncSession, payout_id: uuid.UUID, coach_id: uuid.UUID, amount: Money, at: datetime
) -> None:
    await store.post(
        session,
        key=f"payout:{payout_id}",
        kind=ledger.Kind.PAYOUT.value,
        lines=_lines(ledger.payout(amount)),
        at=at,
        coach_id=coach_id,
    )


def _lines(lines: list[ledger.Line]) -> list[tuple[str, Money]]:
    return [(line.account.value, line.amount) for line in lines]


@dataclass
class Figures:
    gross: int = 0
    commission: int = 0
    refunds: int = 0
    paid_out: int = 0

    @property
    def net(self) -> int:
        return self.gross - self.commission - self.refunds


@dataclass(frozen=True)
class PeriodEarnings:
    period: str
    currency: str
    figures: Figures


@dataclass(frozen=True)
class PayoutLine:
    id: uuid.UUID
    amount: Money
    status: str
    created_at: datetime
    paid_at: datetime | None


@dataclass(frozen=True)
class Balance:
    currency: str
    totals: Figures
    pending: int
    available: int


@dataclass(frozen=True)
class Earnings:
    coach_id: uuid.UUID
    balances: list[Balance]
    periods: list[PeriodEarnings]
    payouts: list[PayoutLine] = field(default_factory=list)


def period_of(at: datetime, period: Period) -> str:
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{at.year}-{at.month:02d}"


def summarise(
    lines: list[store.CoachLine], period: Period
) -> tuple[list[Balance], list[PeriodEarnings]]:
    """Balances per currency and figures per period, from a coach's ledger lines."""
    by_period = tally(lines, lambda at: period_of(at, period))
    totals: dict[str, Figures] = defaultdict(Figures)
    owed: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for line in lines:
        _count(totals[line.currency], line)
        if line.account == ledger.Account.COACH_PAYABLE:
            owed[line.currency] -= line.amount_minor
            if line.booking_status is not None and line.booking_status not in SETTLED:
                pending[line.currency] -= line.amount_minor
    balances = [
        Balance(cur, totals[cur], pending[cur], owed[cur] - pending[cur]) for cur in sorted(totals)
    ]
    periods = [PeriodEarnings(p, cur, f) for (p, cur), f in sorted(by_period.items())]
    return balances, periods


def tally(
    lines: list[store.CoachLine], label: Callable[[datetime], str]
) -> dict[tuple[str, str], Figures]:
    """Figures per (label of the line's time, currency): by UTC period here, by month in the
    coach's zone on the dashboard (booking.services.dashboard)."""
    figures: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for line in lines:
        _count(figures[(label(line.at), line.currency)], line)
    return figures


def _count(figures: Figures, line: store.CoachLine) -> None:
    if line.kind == ledger.Kind.CHARGE and line.account == ledger.Account.CASH:
        figures.gross += line.amount_minor
    elif line.kind == ledger.Kind.REFUND and line.account == ledger.Account.CASH:
        figures.refunds -= line.amount_minor
    elif line.kind == ledger.Kind.PAYOUT and line.account == ledger.Account.COACH_PAYABLE:
        figures.paid_out += line.amount_minor
    if line.account == ledger.Account.PLATFORM_FEES:
        figures.commission -= line.amount_minor


class Ledger:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def earnings(self, user_id: uuid.UUID, period: Period = "month") -> Earnings:
        """The calling coach's earnings, from the ledger."""
        async with self.db.session() as session:
            coach_id = await session.scalar(select(Coach.id).where(Coach.user_id == user_id))
            if coach_id is None:
                raise Forbidden(Code.NOT_A_COACH, "Only coaches have earnings.")
            lines = await store.coach_lines(session, coach_id)
            payouts = await payout_store.of_coach(session, coach_id)
        balances, periods = summarise(lines, period)
        history = [
            PayoutLine(p.id, Money(p.amount_minor, p.currency), p.status, p.created_at, p.paid_at)
            for p in payouts
        ]
        return Earnings(coach_id, balances, periods, history)

    async def trial_balance(self) -> dict[tuple[str, str], int]:
        async with self.db.session() as session:
            return await store.trial_balance(session)
