"""Paying for a held booking (step 3) and acting on the provider's word (step 4).

`start` asks the payment provider for a payment of the booking's price, keyed by the booking so
that asking twice gives the same payment, and keeps a `Payment` row (one per provider
reference). The browser completes the payment with the provider; the provider's outcome comes
back as a `PaymentEvent` (the demo provider's confirmation here, Stripe's webhook later) and
`apply` acts on it:

- succeeded in time (`booking.policy.payments`: while the hold is live, or at the provider
  before the hold ended however late we hear of it): the payment is succeeded and the booking
  confirmed (`pay`), or confirmed again from `expired` (`pay_in_time`) when the hold was
  expired meanwhile and no other booking took the slot;
- succeeded too late (after the hold ended, or the slot was taken since, or abandoned): the
  payment is succeeded and then refunded in full (idempotency key `late:{payment_id}`); the
  booking stays as it is, so a slot is never sold twice;
- failed (a declined card): the payment says so and the booking stays held, as the
  PaymentIntent stays open for another card until the hold expires;
- canceled: with `release` (Stripe's webhook) the hold is released at once (`expire`), as a
  canceled PaymentIntent can never be paid.

`refresh` asks the provider for the payment as it is now (the client's return from paying
calls it), so no booking waits on the webhook alone; the webhook and the return are the same
`apply`, whichever comes first.

A payment that succeeds is posted to the ledger (charge, platform fee, coach payable) in the
same transaction, keyed by the payment, so a replay posts nothing; the provider's processing
fee is posted on its own (`processing_fees` against `cash`, keyed `fee:{payment_id}`) once the
provider tells it: with the event, or read from the provider right after a success.

`apply` is idempotent by the payment's status: a succeeded payment is final, and an event that
repeats the current status changes nothing. The refund of a late payment is made after its
transaction commits (`booking.services.refunds`, key `late:{payment_id}`) and retried by the
next `apply` of the same event, or by the refund job, if the provider failed.

Nothing private reaches the provider: only the booking id and the amount.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import Money
from booking.payments.demo import DemoProvider
from booking.payments.provider import (
    PaymentError,
    PaymentEvent,
    PaymentProvider,
    PaymentStart,
    PaymentStatus,
)
from booking.policy import states
from booking.policy.commission import Split, split
from booking.policy.payments import paid_in_time
from booking.services import statuses
from booking.services.bookings import (
    BookingView,
    Party,
    client_name,
    expire_stale,
    participant_booking,
    view,
)
from booking.services.calendars import CalendarFeed
from booking.services.ledger import post_charge, post_fee
from booking.services.refunds import Refunds
from booking.services.statuses import checked_transition, effective_status
from booking.storage import bookings as store
from booking.storage import refunds as refund_store
from booking.storage.bookings import Booking, Payment
from booking.storage.coaches import Coach
from realtime.clock import Clock
from realtime.db import Database, retrying
from realtime.errors import (
    AppError,
    Code,
    Conflict,
    Forbidden,
    NotFound,
    PaymentRequired,
    Unavailable,
)

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    REFUNDED_LATE = "refunded_late"


@dataclass(frozen=True)
class PaymentView:
    id: uuid.UUID
    booking_id: uuid.UUID
    provider: str
    provider_ref: str
    status: str
    amount: Money
    refunded: Money


@dataclass(frozen=True)
class Started:
    start: PaymentStart
    payment: PaymentView
    split: Split


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    payment: PaymentView
    booking: BookingView


@dataclass(frozen=True)
class _Result:
    applied: Applied
    confirmed_now: bool
    refund_id: uuid.UUID | None
    released: list[Booking]


class Payments:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        feed: CalendarFeed,
        provider: PaymentProvider,
        refunds: Refunds,
    ) -> None:
        self.refunds = refunds
        self.db = db
        self.clock = clock
        self.feed = feed
        self.provider = provider
        self.demo = provider if isinstance(provider, DemoProvider) else None

    async def start(self, party: Party, booking_id: uuid.UUID) -> Started:
        """Step 3: a payment for a live hold; the same payment when asked again."""
        now = self.clock.now()
        try:
            async with self.db.session() as session:
                booking, _ = await participant_booking(session, party, booking_id)
                if booking.client_id != party.user_id:
                    raise Forbidden(Code.FORBIDDEN, "Only the booking's client can pay for it.")
                status = effective_status(booking, now)
                if status is states.Status.EXPIRED:
                    raise _hold_expired("Hold the slot again to book it.")
                checked_transition(status, states.Event.PAY)
                amount = Money(booking.price_minor, booking.currency)
                parts = split(amount, booking.commission_bps)
        except AppError as exc:  # logged for the admins: ids and the code, nothing private
            log.warning(
                "payment for booking %s by user %s refused: %s", booking_id, party.user_id, exc.code
            )
            raise
        try:
            started = await self.provider.start(
                booking_id=booking_id, amount=amount, idempotency_key=f"booking:{booking_id}"
            )
        except PaymentError as exc:
            raise PaymentRequired(Code.PAYMENT_FAILED, str(exc)) from None
        payment = await self._keep(booking_id, started, amount)
        log.info("payment %s started for booking %s", payment.id, booking_id)
        return Started(started, payment, parts)

    async def _keep(
        self, booking_id: uuid.UUID, started: PaymentStart, amount: Money
    ) -> PaymentView:
        """The payment's row, made on first sight of its provider reference."""
        now = self.clock.now()
        try:
            async with self.db.session() as session:
                found = await _by_ref(session, started.provider, started.provider_ref)
                if found is not None:
                    return _payment_view(found)
                payment = Payment(
                    booking_id=booking_id,
                    provider=started.provider,
                    provider_ref=started.provider_ref,
                    amount_minor=amount.minor,
                    currency=amount.currency,
                    status=started.status.value,
                    refunded_minor=0,
                    created_at=now,
                    updated_at=now,
                )
                session.add(payment)
                await session.flush()
                return _payment_view(payment)
        except IntegrityError:  # a concurrent first call made it
            async with self.db.session() as session:
                found = await _by_ref(session, started.provider, started.provider_ref)
                if found is None:
                    raise
                return _payment_view(found)

    async def confirm_demo(self, party: Party, client_secret: str, card_number: str) -> Applied:
        """The demo provider's stand-in for a card form: the client confirms the payment."""
        if self.demo is None:
            raise NotFound(Code.PAYMENT_NOT_FOUND, "Demo payments are not enabled here.")
        ref, _, _ = client_secret.partition("_secret_")
        async with self.db.session() as session:
            payment = await _by_ref(session, self.demo.name, ref)
            booking = None if payment is None else await store.by_id(session, payment.booking_id)
        if payment is None or booking is None or booking.client_id != party.user_id:
            raise _no_payment()
        try:
            event = self.demo.confirm(
                client_secret=client_secret,
                amount=Money(payment.amount_minor, payment.currency),
                booking_id=booking.id,
                card_last4=card_number[-4:],
            )
        except PaymentError:
            raise _no_payment() from None
        return await self.apply(event)

    async def refresh(self, party: Party, booking_id: uuid.UUID) -> Applied:
        """The client is back from paying: the booking's latest payment as the provider has
        it now, applied (a success confirms at once, without waiting for the webhook)."""
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, party, booking_id)
            if booking.client_id != party.user_id:
                raise Forbidden(Code.FORBIDDEN, "Only the booking's client pays for it.")
            payment = await session.scalar(
                select(Payment)
                .where(Payment.booking_id == booking_id)
                .order_by(Payment.created_at.desc())
                .limit(1)
            )
            if payment is None:
                raise NotFound(Code.PAYMENT_NOT_FOUND, "This booking has no payment yet.")
            ref, amount = payment.provider_ref, Money(payment.amount_minor, payment.currency)
        try:
            fresh = await self.provider.read(ref)
        except PaymentError as exc:
            raise Unavailable(Code.UNAVAILABLE, str(exc)) from None
        # A provider without state (the demo) has told us everything already: our row says it.
        event = fresh or PaymentEvent(
            payment.provider, ref, PaymentStatus(payment.status), amount, booking_id
        )
        return await self.apply(event)

    async def apply(self, event: PaymentEvent, *, release: bool = False) -> Applied:
        """Act on a provider's event; applying the same event again changes nothing. With
        `release`, a canceled payment also releases the hold."""
        if event.status is PaymentStatus.SUCCEEDED and event.fee is None:
            event = await self._with_fee(event)
        result = await retrying(lambda: self._apply(event, release))
        applied = result.applied
        for stale in result.released:
            await self.feed.slots_changed(
                stale.coach_id, stale.starts_at, stale.ends_at, "released"
            )
        if result.confirmed_now:
            booking = applied.booking
            log.info("booking %s confirmed by payment %s", booking.id, applied.payment.id)
            await self.feed.slots_changed(
                booking.coach_id, booking.starts_at, booking.ends_at, "booked"
            )
        if result.refund_id is not None:
            applied = await self._refund_late(applied, result.refund_id)
        return applied

    async def _with_fee(self, event: PaymentEvent) -> PaymentEvent:
        """The event with the provider's fee (and charge time) when the provider tells them;
        as it was if it cannot now (the fee is posted by a later `apply` or `refresh`)."""
        try:
            fresh = await self.provider.read(event.provider_ref)
        except PaymentError:
            log.warning("payment %s: fee not read from the provider", event.provider_ref)
            return event
        if fresh is None or fresh.status is not PaymentStatus.SUCCEEDED:
            return event
        return replace(event, fee=fresh.fee, succeeded_at=event.succeeded_at or fresh.succeeded_at)

    async def _apply(self, event: PaymentEvent, release: bool) -> _Result:
        now = self.clock.now()
        async with self.db.session() as session:
            payment = await _by_ref(session, event.provider, event.provider_ref, lock=True)
            if payment is None or payment.booking_id != event.booking_id:
                log.warning("event for unknown payment %s refused", event.provider_ref)
                raise _no_payment()
            if event.amount != Money(payment.amount_minor, payment.currency):
                log.warning("payment %s: event amount differs from the price", payment.id)
                raise Conflict(Code.CONFLICT, "The payment's amount does not match the booking.")
            booking = await store.by_id(session, payment.booking_id, lock=True)
            coach = None if booking is None else await session.get(Coach, booking.coach_id)
            if booking is None or coach is None:
                raise _no_payment()
            current = PaymentStatus(payment.status)
            in_time = (
                event.status is PaymentStatus.SUCCEEDED
                and current is not PaymentStatus.SUCCEEDED
                and paid_in_time(booking.hold_expires_at, event.succeeded_at, now)
            )
            confirmed_now = False
            if in_time and booking.status == states.Status.HELD:
                # Before the coach's stale holds go: this one is paid, however late we heard.
                confirmed_now = await statuses.confirm(session, booking, now)
            released = await expire_stale(session, booking.coach_id, now)
            if event.status is PaymentStatus.SUCCEEDED and event.fee is not None:
                await post_fee(session, payment, booking, event.fee, now)  # once, by its key
            if current is PaymentStatus.SUCCEEDED or event.status is PaymentStatus.PENDING:
                pass  # final, or nothing new
            elif event.status is PaymentStatus.SUCCEEDED:
                payment.status = PaymentStatus.SUCCEEDED.value
                payment.updated_at = now
                await post_charge(session, payment, booking, now)
                if booking.status == states.Status.HELD:
                    confirmed_now = await statuses.confirm(session, booking, now)
                elif booking.status == states.Status.EXPIRED and in_time:
                    confirmed_now = await statuses.revive(session, booking, now)
                if not confirmed_now and booking.confirmed_at is None:
                    log.info("payment %s arrived after booking %s ended", payment.id, booking.id)
            elif current is not event.status:
                payment.status = event.status.value
                payment.updated_at = now
                log.info("payment %s %s", payment.id, event.status.value)
            if release and PaymentStatus(payment.status) is PaymentStatus.CANCELED:
                released += await statuses.release(session, booking, now, payment.status)
            outcome = _outcome(payment, booking)
            refund_id = None
            if outcome is Outcome.REFUNDED_LATE:
                refund_id = await self._late_refund_row(session, payment, now)
            applied = Applied(
                outcome,
                _payment_view(payment),
                view(booking, coach, await client_name(session, booking), now),
            )
            return _Result(applied, confirmed_now, refund_id, released)

    async def _late_refund_row(
        self, session: AsyncSession, payment: Payment, now: datetime
    ) -> uuid.UUID | None:
        """The full refund of a payment that came after its hold ended: written once, and
        returned while it is still to be made."""
        key = f"late:{payment.id}"
        row = await refund_store.by_key(session, key)
        if row is None:
            row = refund_store.new(
                payment_id=payment.id,
                booking_id=payment.booking_id,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                reason="late_payment",
                key=key,
                at=now,
            )
            session.add(row)
            await session.flush()
        return row.id if row.status == refund_store.PENDING else None

    async def _refund_late(self, applied: Applied, refund_id: uuid.UUID) -> Applied:
        """Refund in full a payment that succeeded after its hold ended."""
        await self.refunds.make(refund_id)
        log.info("payment %s refunded in full: it came after the hold ended", applied.payment.id)
        async with self.db.session() as session:
            row = await session.get(Payment, applied.payment.id)
            assert row is not None
            return Applied(applied.outcome, _payment_view(row), applied.booking)


def _outcome(payment: Payment, booking: Booking) -> Outcome:
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.SUCCEEDED:
        return Outcome.CONFIRMED if booking.confirmed_at is not None else Outcome.REFUNDED_LATE
    if status is PaymentStatus.PENDING:
        return Outcome.PENDING
    return Outcome.FAILED


async def _by_ref(
    session: AsyncSession, provider: str, ref: str, *, lock: bool = False
) -> Payment | None:
    query = select(Payment).where(Payment.provider == provider, Payment.provider_ref == ref)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


def _payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        id=payment.id,
        booking_id=payment.booking_id,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        status=payment.status,
        amount=Money(payment.amount_minor, payment.currency),
        refunded=Money(payment.refunded_minor, payment.currency),
    )


def _no_payment() -> NotFound:
    return NotFound(Code.PAYMENT_NOT_FOUND, "No payment of yours matches this client secret.")


def _hold_expired(then: str) -> Conflict:
    return Conflict(Code.HOLD_EXPIRED, f"The hold on this slot has expired. {then}")
