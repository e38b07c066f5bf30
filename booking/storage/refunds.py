"""Refunds of payments: one row per refund we ask the provider for, or learn of from it.

A refund is written `pending` in the transaction that decides it (a cancellation, a late
payment, an admin), then made at the provider with its own `idempotency_key`, then marked
`succeeded` together with its ledger transaction. A pending refund whose call failed is retried
with the same key, so the provider makes it at most once. A refund made outside the platform (the
Stripe dashboard) arrives by webhook and is recorded as `external`.
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
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


class PaymentRefund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount"),
        Index("ix_refunds_key", "idempotency_key", unique=True),
        Index("ix_refunds_payment", "payment_id"),
        Index("ix_refunds_status", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # pending | succeeded | failed
    status: Mapped[str] = mapped_column(String(16))
    # cancel_by_client, cancel_by_coach, late_payment, admin, external
    reason: Mapped[str] = mapped_column(String(24))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    provider_ref: Mapped[str | None] = mapped_column(String(255), default=None)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


async def by_key(session: AsyncSession, key: str) -> PaymentRefund | None:
    query = select(PaymentRefund).where(PaymentRefund.idempotency_key == key)
    return (await session.scalars(query)).one_or_none()


async def by_provider_ref(session: AsyncSession, ref: str) -> PaymentRefund | None:
    query = select(PaymentRefund).where(PaymentRefund.provider_ref == ref)
    return (await session.scalars(query)).first()


async def committed(session: AsyncSession, payment_id: uuid.UUID) -> int:
    """Minor units refunded or on their way back (pending or succeeded) for a payment."""
    total = await session.scalar(
        select(func.coalesce(func.sum(PaymentRefund.amount_minor), 0)).where(
            PaymentRefund.payment_id == payment_id, PaymentRefund.status != FAILED
        )
    )
    return int(total or 0)


async def pending(
    session: AsyncSession, untouched_since: datetime, limit: int = 100
) -> list[uuid.UUID]:
    """Pending refunds whose last attempt started at or before `untouched_since`, oldest first."""
    query = (
        select(PaymentRefund.id)
        .where(PaymentRefund.status == PENDING, PaymentRefund.updated_at <= untouched_since)
        .order_by(PaymentRefund.created_at)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


def new(
    *,
    payment_id: uuid.UUID,
    booking_id: uuid.UUID,
    amount_minor: int,
    currency: str,
    reason: str,
    key: str,
    at: datetime,
    status: str = PENDING,
    provider_ref: str | None = None,
) -> PaymentRefund:
    return PaymentRefund(
        payment_id=payment_id,
        booking_id=booking_id,
        amount_minor=amount_minor,
        currency=currency,
        status=status,
        reason=reason,
        idempotency_key=key,
        provider_ref=provider_ref,
        attempts=0,
        created_at=at,
        updated_at=at,
    )
