"""Bookings: one row per session a client books with a coach, from hold to outcome.

No two live bookings of one coach overlap, buffers included: the database refuses it. On
PostgreSQL an exclusion constraint over `tstzrange(blocked_from, blocked_to)` (extension
btree_gist); on SQLite, triggers that abort an insert or update creating an overlap (SQLite has
one writer at a time, so the check and the write cannot interleave). Both are created by the
`bookings` migration; `OVERLAP_MESSAGE` is what either raises.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id

LIVE_STATUSES = ("held", "confirmed", "in_progress")
OVERLAP_CONSTRAINT = "bookings_no_overlap"
OVERLAP_MESSAGE = "booking_overlap"


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="order"),
        CheckConstraint("blocked_from <= starts_at AND ends_at <= blocked_to", name="blocked"),
        CheckConstraint("price_minor >= 0", name="price"),
        CheckConstraint("session_type IN ('video', 'phone', 'chat')", name="session_type"),
        Index("ix_bookings_coach_time", "coach_id", "blocked_from", "blocked_to"),
        Index("ix_bookings_client", "client_id", "starts_at"),
        Index("ix_bookings_status_hold", "status", "hold_expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    coach_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coaches.id", ondelete="RESTRICT"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    session_type: Mapped[str] = mapped_column(String(8))
    duration: Mapped[int] = mapped_column(SmallInteger)  # minutes
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The interval the booking takes from the coach's calendar: the session and its buffers.
    blocked_from: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_to: Mapped[datetime] = mapped_column(UtcDateTime)
    # booking.policy.states.Status
    status: Mapped[str] = mapped_column(String(20))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The price fixed when the slot was held: integer minor units of `currency`.
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    commission_bps: Mapped[int] = mapped_column(Integer)
    # Session details (focus, notes to the coach, preferred name, assessment answers): private,
    # stored encrypted (realtime.keys.fernet, purpose "booking-details"), JSON inside.
    details: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Why it was canceled, as given by the person canceling: private, encrypted likewise.
    cancel_note: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    canceled_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    canceled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    reschedule_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BookingEvent(Base):
    """Every transition of a booking, in order: the audit trail of the state machine."""

    __tablename__ = "booking_events"
    __table_args__ = (Index("ix_booking_events_booking", "booking_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    event: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    # Non-private facts about the event (old and new start of a reschedule, refund amount).
    facts: Mapped[str] = mapped_column(String(500), default="")


class Payment(Base):
    """A payment for a booking at a provider (demo or Stripe)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunded"),
        Index("ix_payments_booking", "booking_id"),
        Index("ix_payments_provider_ref", "provider", "provider_ref", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id", ondelete="RESTRICT"))
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # pending | succeeded | failed | canceled
    status: Mapped[str] = mapped_column(String(16))
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyRecord(Base):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("ix_idempotency_records_created", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Method and route template plus a SHA-256 of the body: a key reused for another request
    # is refused, not replayed.
    fingerprint: Mapped[str] = mapped_column(String(600))
    # None while the first request is still running.
    status: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    content_type: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
