"""Payouts to coaches and the connected accounts they are paid into.

A payout is written `pending` with the amount available, then sent as a transfer whose
idempotency key is `payout:{id}`; it becomes `paid`, with its ledger transaction, when the
transfer succeeds. A failed transfer leaves it `pending` and the balance payable, and the next
run sends the same payout with the same key, so the coach is never paid twice. At most one
pending payout per coach and currency (a partial unique index), so two runs cannot both pay.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Uuid,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id

PENDING, PAID = "pending", "paid"


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount"),
        Index(
            "ix_payouts_one_pending",
            "coach_id",
            "currency",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_payouts_coach", "coach_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="RESTRICT"))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # pending | paid
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    transfer_ref: Mapped[str | None] = mapped_column(String(255), default=None)
    # The provider's error code of the last failed attempt (never a message with data in it).
    last_error: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class PayoutAccount(Base):
    """The account a coach is paid into: a Stripe Connect account id (`acct_...`)."""

    __tablename__ = "payout_accounts"

    coach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(16))
    account_ref: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def pending(session: AsyncSession) -> list[Payout]:
    query = select(Payout).where(Payout.status == PENDING).order_by(Payout.created_at)
    return list((await session.scalars(query)).all())


async def of_coach(session: AsyncSession, coach_id: uuid.UUID) -> list[Payout]:
    query = select(Payout).where(Payout.coach_id == coach_id).order_by(Payout.created_at.desc())
    return list((await session.scalars(query)).all())


async def accounts(session: AsyncSession, provider: str) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(PayoutAccount.coach_id, PayoutAccount.account_ref).where(
            PayoutAccount.provider == provider
        )
    )
    found: dict[uuid.UUID, str] = {}
    for coach_id, ref in rows:
        found[coach_id] = ref
    return found
