"""The double-entry ledger: transactions and their entries, per currency.

A transaction is one money movement (charge, refund, payout) with a unique `key` (`charge:
{payment id}`, `refund:{refund id}`, `payout:{payout id}`), so posting the same movement twice
records it once. Its entries sum to zero (`booking.policy.ledger`); `post` refuses otherwise.
Entries are never updated or deleted: a correction is a new transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from booking.money import Money
from booking.storage.bookings import Booking
from booking.storage.refunds import PENDING, PaymentRefund
from realtime.db import Base, UtcDateTime, new_id

# The account of what the platform owes a coach (booking.policy.ledger.Account.COACH_PAYABLE).
COACH_PAYABLE = "coach_payable"


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        Index("ix_ledger_transactions_key", "key", unique=True),
        Index("ix_ledger_transactions_coach", "coach_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # booking.policy.ledger.Kind
    currency: Mapped[str] = mapped_column(String(3))
    coach_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("coaches.id", ondelete="RESTRICT"), default=None
    )
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="RESTRICT"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_transaction", "transaction_id"),
        Index("ix_ledger_entries_account", "account", "coach_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="RESTRICT")
    )
    account: Mapped[str] = mapped_column(String(24))  # booking.policy.ledger.Account
    # The coach a coach_payable entry belongs to; None for the platform's own accounts.
    coach_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("coaches.id", ondelete="RESTRICT"), default=None
    )
    # Debits positive, credits negative, integer minor units of `currency`.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class Unbalanced(Exception):
    """A transaction whose entries do not sum to zero in one currency: a bug, never posted."""


async def posted(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == key))
    return found is not None


async def lines_of(session: AsyncSession, key: str) -> list[tuple[str, Money]]:
    """The entries of the transaction posted under `key` (none if it was not posted)."""
    rows = await session.execute(
        select(LedgerEntry.account, LedgerEntry.amount_minor, LedgerEntry.currency)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.key == key)
        .order_by(LedgerEntry.account)
    )
    return [(account, Money(minor, currency)) for account, minor, currency in rows]


async def post(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    lines: Sequence[tuple[str, Money]],
    at: datetime,
    coach_id: uuid.UUID | None,
    booking_id: uuid.UUID | None = None,
) -> bool:
    """Record a transaction once; False, writing nothing, when `key` was posted already.
    The unique index on `key` has the last word when two writers race."""
    currencies = {amount.currency for _, amount in lines}
    if len(currencies) != 1 or sum(amount.minor for _, amount in lines) != 0:
        raise Unbalanced(key)
    if await posted(session, key):
        return False
    txn = LedgerTransaction(
        key=key,
        kind=kind,
        currency=currencies.pop(),
        coach_id=coach_id,
        booking_id=booking_id,
        created_at=at,
    )
    session.add(txn)
    await session.flush()
    session.add_all(
        LedgerEntry(
            transaction_id=txn.id,
            account=account,
            coach_id=coach_id if account == COACH_PAYABLE else None,
            amount_minor=amount.minor,
            currency=amount.currency,
        )
        for account, amount in lines
    )
    await session.flush()
    return True


@dataclass(frozen=True)
class CoachLine:
    """One of a coach's ledger entries with what it is about."""

    kind: str
    account: str
    amount_minor: int
    currency: str
    at: datetime
    booking_status: str | None


async def coach_lines(
    session: AsyncSession, coach_id: uuid.UUID, since: datetime | None = None
) -> list[CoachLine]:
    """Every entry of the coach's transactions (from `since` on), oldest first."""
    query = (
        select(
            LedgerTransaction.kind,
            LedgerEntry.account,
            LedgerEntry.amount_minor,
            LedgerEntry.currency,
            LedgerTransaction.created_at,
            Booking.status,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .outerjoin(Booking, Booking.id == LedgerTransaction.booking_id)
        .where(LedgerTransaction.coach_id == coach_id)
        .order_by(LedgerTransaction.created_at, LedgerTransaction.id)
    )
    if since is not None:
        query = query.where(LedgerTransaction.created_at >= since)
    return [CoachLine(*row) for row in await session.execute(query)]


async def payable_by_coach(
    session: AsyncSession, settled_statuses: Sequence[str]
) -> dict[tuple[uuid.UUID, str], int]:
    """What the platform owes each coach, per currency, for bookings in `settled_statuses`
    with no refund under way, less what it paid out: minus the sum of those entries."""
    refund_under_way = (
        select(PaymentRefund.id)
        .where(PaymentRefund.booking_id == Booking.id, PaymentRefund.status == PENDING)
        .exists()
    )
    settled = (LedgerTransaction.booking_id.is_(None)) | (
        Booking.status.in_(settled_statuses) & ~refund_under_way
    )
    rows = await session.execute(
        select(LedgerEntry.coach_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(Booking, Booking.id == LedgerTransaction.booking_id)
        .where(LedgerEntry.account == COACH_PAYABLE, settled)
        .group_by(LedgerEntry.coach_id, LedgerEntry.currency)
    )
    return {
        (coach_id, currency): -int(total)
        for coach_id, currency, total in rows
        if coach_id is not None
    }


async def trial_balance(session: AsyncSession) -> dict[tuple[str, str], int]:
    """The sum of every account per currency (all of them together sum to zero)."""
    rows = await session.execute(
        select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .group_by(LedgerEntry.account, LedgerEntry.currency)
        .order_by(LedgerEntry.account, LedgerEntry.currency)
    )
    return {(account, currency): int(total) for account, currency, total in rows}
