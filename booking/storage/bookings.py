"""Bookings: one row per session a client books with a coach, from hold to outcome.

No two live bookings of one coach overlap, buffers included: the database refuses it. On
PostgreSQL an exclusion constraint over `tstzrange(blocked_from, blocked_to)` (extension
btree_gist); on SQLite, triggers that abort an insert or update creating an overlap (SQLite has
one writer at a time, so the check and the write cannot interleave). Both are created by the
`bookings` migration; `OVERLAP_MESSAGE` is what either raises.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Uuid,
    false,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from realtime.db import Base, UtcDateTime, new_id

LIVE_STATUSES = ("held", "confirmed", "in_progress")
OVERLAP_CONSTRAINT = "bookings_no_overlap"
OVERLAP_MESSAGE = "booking_overlap"


def _dial_in_default(context: Any) -> bool:
    """A row written without `dial_in` (the demo's, the tests'): a phone session's may."""
    return bool(context.get_current_parameters().get("session_type") == "phone")


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
    # Whether its participants may join by telephone (docs/phone.md): fixed when the hold is
    # made, from the offering (a phone session always; a video one if its coach allows it).
    dial_in: Mapped[bool] = mapped_column(Boolean, default=_dial_in_default, server_default=false())
    # Session details (focus, notes to the coach, preferred name, assessment answers): private,
    # sealed in the booking's vault scope (realtime/vault.py, item "details"), JSON inside.
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


def is_overlap(error: IntegrityError) -> bool:
    """Whether the database refused a write because two live bookings would overlap."""
    text = str(error.orig)
    return OVERLAP_CONSTRAINT in text or OVERLAP_MESSAGE in text


@dataclass(frozen=True)
class Expired:
    id: uuid.UUID
    coach_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


async def expire(conn: AsyncConnection, ids: list[uuid.UUID], now: datetime) -> list[Expired]:
    """Expire these holds if they are still held past their time; record each transition."""
    if not ids:
        return []
    return await _expire_where(conn, Booking.id.in_(ids), now)


async def sweep_stale(conn: AsyncConnection, now: datetime, limit: int = 500) -> list[Expired]:
    """Expire up to `limit` holds whose time is up, oldest first, skipping rows another
    transaction has locked (a hold being paid or expired by a coach's own path right now)."""
    due = (
        select(Booking.id)
        .where(Booking.status == "held", Booking.hold_expires_at <= now)
        .order_by(Booking.hold_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _expire_where(conn, Booking.id.in_(due.scalar_subquery()), now)


async def _expire_where(
    conn: AsyncConnection, which: ColumnElement[bool], now: datetime
) -> list[Expired]:
    rows = await conn.execute(
        update(Booking)
        .where(which, Booking.status == "held", Booking.hold_expires_at <= now)
        .values(status="expired", updated_at=now)
        .returning(Booking.id, Booking.coach_id, Booking.starts_at, Booking.ends_at)
    )
    expired = [Expired(*row) for row in rows]
    if expired:
        await conn.execute(
            insert(BookingEvent),
            [
                event_row(b.id, at=now, event="expire", from_status="held", to_status="expired")
                for b in expired
            ],
        )
    return expired


async def insert_booking(conn: AsyncConnection, values: dict[str, object]) -> None:
    """Insert one booking row; the overlap guard may refuse it (IntegrityError, `is_overlap`)."""
    await conn.execute(insert(Booking), values)


async def add_event(conn: AsyncConnection, values: dict[str, object]) -> None:
    await conn.execute(insert(BookingEvent), values)


def event_row(
    booking_id: uuid.UUID,
    *,
    at: datetime,
    event: str,
    from_status: str,
    to_status: str,
    actor_id: uuid.UUID | None = None,
    facts: str = "",
) -> dict[str, object]:
    """A `booking_events` row, for Core inserts."""
    return {
        "id": new_id(),
        "booking_id": booking_id,
        "at": at,
        "actor_id": actor_id,
        "event": event,
        "from_status": from_status,
        "to_status": to_status,
        "facts": facts,
    }


async def stale_holds(
    session: AsyncSession, now: datetime, *, coach_id: uuid.UUID | None = None, limit: int = 500
) -> list[Booking]:
    """Held bookings whose hold has expired, oldest first, locked for update. The sweeper (no
    coach) skips rows another transaction holds; a coach's own path waits for them, so a hold
    placed while the sweeper expires the old one sees the old one gone."""
    query = (
        select(Booking)
        .where(Booking.status == "held", Booking.hold_expires_at <= now)
        .order_by(Booking.hold_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=coach_id is None)
    )
    if coach_id is not None:
        query = query.where(Booking.coach_id == coach_id)
    return list((await session.scalars(query)).all())


async def by_id(
    session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False
) -> Booking | None:
    query = select(Booking).where(Booking.id == booking_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def timings(
    session: AsyncSession, booking_ids: list[uuid.UUID]
) -> list[tuple[uuid.UUID, datetime, str]]:
    """(id, ends_at, status) of each booking named."""
    if not booking_ids:
        return []
    query = select(Booking.id, Booking.ends_at, Booking.status).where(Booking.id.in_(booking_ids))
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def ending_between(
    session: AsyncSession, statuses: list[str], after: datetime, before: datetime
) -> list[tuple[uuid.UUID, datetime, str]]:
    """(id, ends_at, status) of the bookings in `statuses` ending in [after, before)."""
    query = (
        select(Booking.id, Booking.ends_at, Booking.status)
        .where(Booking.status.in_(statuses), Booking.ends_at >= after, Booking.ends_at < before)
        .order_by(Booking.ends_at)
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def set_status(
    session: AsyncSession, booking: Booking, status: str, *, expected: str
) -> bool:
    """Move a booking from `expected` to `status`; False if it was no longer `expected`
    (another request moved it first)."""
    result = await session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == expected)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        booking.status = status
        return True
    return False


def record(
    session: AsyncSession,
    booking: Booking,
    *,
    at: datetime,
    event: str,
    from_status: str,
    actor_id: uuid.UUID | None,
    facts: str = "",
) -> None:
    session.add(
        BookingEvent(
            booking_id=booking.id,
            at=at,
            actor_id=actor_id,
            event=event,
            from_status=from_status,
            to_status=booking.status,
            facts=facts,
        )
    )


async def slot_retaken(session: AsyncSession, booking: Booking) -> bool:
    """Whether another live booking of the coach overlaps this one's time, buffers included
    (the overlap guard's own test), as before this one could come back to life."""
    other = await session.scalar(
        select(Booking.id)
        .where(
            Booking.coach_id == booking.coach_id,
            Booking.id != booking.id,
            Booking.status.in_(LIVE_STATUSES),
            Booking.blocked_from < booking.blocked_to,
            Booking.blocked_to > booking.blocked_from,
        )
        .limit(1)
    )
    return other is not None


def lock_key(coach_id: uuid.UUID) -> str:
    """The name of a coach's calendar lock, a PostgreSQL transaction advisory lock."""
    return f"calendar:{coach_id}"


async def lock_calendar(conn: AsyncConnection, coach_id: uuid.UUID) -> None:
    """Serialise changes to one coach's calendar for the rest of the transaction.

    The overlap guard alone is correct, but concurrent inserts it refuses wait on each other and
    can deadlock (each costing PostgreSQL's deadlock_timeout); a per-coach transaction lock
    makes them queue instead. Different coaches never wait on each other. SQLite's writers are
    serialised already (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": lock_key(coach_id)},
        )
