"""Refunds: what a cancellation would refund, making refunds, and refunds Stripe reports.

A refund is decided inside the transaction that causes it (a cancellation writes a `pending`
refund row with the booking's change), made at the provider after that commits with the key
`refund:{id}`, then marked succeeded together with its ledger transaction. A provider failure
leaves it pending; `retry_pending` (a periodic job) makes it later with the same key, so it is
made at most once. The amount comes from `booking.policy.refunds.refund_for`.

Refusals (nothing changed, logged for admins): an amount of zero or less, another currency, or
more than is left to refund of what was paid.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import CURRENCIES, Money
from booking.payments.provider import PaymentError, PaymentProvider
from booking.payments.stripe import RefundEvent
from booking.policy import refunds as policy
from booking.policy import states
from booking.services.bookings import Party, participant_booking
from booking.services.ledger import post_refund, reverse_refund
from booking.services.statuses import cancelable, checked_transition, effective_status
from booking.storage import bookings as bookings_store
from booking.storage import refunds as store
from booking.storage.bookings import Booking, Payment
from booking.storage.refunds import PaymentRefund
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict, FieldError, NotFound, Unavailable, Unprocessable

log = logging.getLogger(__name__)

# How long one attempt at a refund may take before the retry job tries it again.
ATTEMPT_SECONDS = 60


@dataclass(frozen=True)
class RefundView:
    id: uuid.UUID
    amount: Money
    status: str
    reason: str


@dataclass(frozen=True)
class Quote:
    """What cancelling now would do: the event, the amount paid and the refund."""

    booking_id: uuid.UUID
    event: states.Event
    paid: Money
    refund: Money
    rule: policy.Rule | None


class Refunds:
    def __init__(
        self, db: Database, clock: Clock, provider: PaymentProvider, rules: policy.RefundPolicy
    ) -> None:
        self.db = db
        self.clock = clock
        self.provider = provider
        self.rules = rules

    async def quote(self, party: Party, booking_id: uuid.UUID) -> Quote:
        """The refund a cancellation by `party` would make now; changes nothing."""
        now = self.clock.now()
        async with self.db.session() as session:
            booking, coach = await participant_booking(session, party, booking_id)
            status = effective_status(booking, now)
            cancelable(booking, status, now)
            event = policy.cancel_event(status, by_coach=coach.user_id == party.user_id)
            checked_transition(status, event)
            payment = await paid_payment(session, booking.id)
            return self._quote(booking, payment, event, now)

    async def terms(
        self, party: Party, booking_id: uuid.UUID, start: datetime | None = None
    ) -> policy.Terms:
        """The client's cancellation terms for the booking, or for it moved to `start` (shown
        before paying, and before a reschedule that would change them)."""
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, party, booking_id)
        price = Money(booking.price_minor, booking.currency)
        return policy.terms_for(price, start or booking.starts_at, self.rules)

    def _quote(
        self, booking: Booking, payment: Payment | None, event: states.Event, now: datetime
    ) -> Quote:
        currency = booking.currency
        cause = policy.CAUSES.get(event)
        if payment is None or cause is None:
            paid = Money(payment.amount_minor if payment else 0, currency)
            return Quote(booking.id, event, paid, Money(0, currency), None)
        paid = Money(payment.amount_minor, payment.currency)
        quoted = policy.refund_for(
            paid=paid,
            refunded=Money(payment.refunded_minor, payment.currency),
            starts_at=booking.starts_at,
            at=now,
            cause=cause,
            policy=self.rules,
        )
        return Quote(booking.id, event, paid, quoted.amount, quoted.rule)

    async def owe(
        self, session: AsyncSession, booking: Booking, event: states.Event, now: datetime
    ) -> uuid.UUID | None:
        """Inside the transaction that changes the booking: write the refund the policy
        grants for `event`, if any; its id, to `make` after the commit."""
        payment = await paid_payment(session, booking.id, lock=True)
        quote = self._quote(booking, payment, event, now)
        if payment is None or quote.refund.minor <= 0:
            return None
        row = store.new(
            payment_id=payment.id,
            booking_id=booking.id,
            amount_minor=quote.refund.minor,
            currency=quote.refund.currency,
            reason=event.value,
            key=f"{event.value}:{booking.id}",
            at=now,
        )
        session.add(row)
        await session.flush()
        return row.id

    async def admin_refund(
        self, admin_id: uuid.UUID, booking_id: uuid.UUID, amount_minor: int, currency: str
    ) -> RefundView:
        """An admin refunds part or all of what is left of a booking's payment."""
        now = self.clock.now()
        async with self.db.session() as session:
            booking = await bookings_store.by_id(session, booking_id)
            if booking is None:
                raise NotFound(Code.BOOKING_NOT_FOUND, f"No booking has id {booking_id}.")
            payment = await paid_payment(session, booking.id, lock=True)
            refusal = _refusal(payment, amount_minor, currency, await _committed(session, payment))
            if refusal is not None:
                log.warning(
                    "admin %s refund of booking %s refused: %s", admin_id, booking_id, refusal.code
                )
                raise refusal
            assert payment is not None
            row = store.new(
                payment_id=payment.id,
                booking_id=booking.id,
                amount_minor=amount_minor,
                currency=currency,
                reason="admin",
                key=f"admin:{uuid.uuid4()}",
                at=now,
            )
            session.add(row)
            await session.flush()
            refund_id = row.id
        log.info("admin %s refunds %s of booking %s", admin_id, amount_minor, booking_id)
        return await self.make(refund_id)

    async def make(self, refund_id: uuid.UUID) -> RefundView:
        """Make a pending refund at the provider and settle it; Unavailable if the provider
        failed (the refund stays pending and is retried)."""
        async with self.db.session() as session:
            row = await session.get(PaymentRefund, refund_id)
            payment = None if row is None else await session.get(Payment, row.payment_id)
            if row is None or payment is None:
                raise NotFound(Code.PAYMENT_NOT_FOUND, "No such refund.")
            if row.status != store.PENDING:
                return _view(row)
            row.attempts += 1
            row.updated_at = self.clock.now()  # an attempt is under way (`retry_pending`)
            key, amount = row.idempotency_key, Money(row.amount_minor, row.currency)
            provider_ref = payment.provider_ref
        try:
            made = await self.provider.refund(
                provider_ref=provider_ref, amount=amount, idempotency_key=key, refund_id=refund_id
            )
        except PaymentError as exc:
            log.warning("refund %s failed at the provider; it will be retried", refund_id)
            raise Unavailable(
                Code.UNAVAILABLE, f"The refund could not be made yet: {exc}"
            ) from None
        async with self.db.session() as session:
            row = await session.get(PaymentRefund, refund_id, with_for_update=True)
            assert row is not None
            await self._settle(session, row, made.refund_ref)
            return _view(row)

    async def made_or_pending(self, refund_id: uuid.UUID) -> RefundView:
        """`make`, answering a provider failure with the refund still pending."""
        try:
            return await self.make(refund_id)
        except Unavailable:
            async with self.db.session() as session:
                row = await session.get(PaymentRefund, refund_id)
                assert row is not None
                return _view(row)

    async def _settle(self, session: AsyncSession, row: PaymentRefund, ref: str) -> None:
        """pending -> succeeded, with the payment's refunded total and the ledger, once."""
        if row.status != store.PENDING:
            return
        now = self.clock.now()
        payment, booking = await _refunded(session, row)
        amount = Money(row.amount_minor, row.currency)
        await post_refund(session, row.id, payment, booking, amount, now)
        payment.refunded_minor += row.amount_minor
        payment.updated_at = now
        row.status = store.SUCCEEDED
        row.provider_ref = ref
        row.updated_at = now
        _record(session, booking, row, "refunded", now)
        log.info("refund %s of payment %s succeeded", row.id, payment.id)

    async def _fail(self, session: AsyncSession, row: PaymentRefund, ref: str) -> None:
        """The provider says the refund did not reach the client, pending or after it had
        succeeded: the refund is failed, a succeeded one's ledger posting and the payment's
        refunded total are undone, and what it was for can be refunded again (by an admin:
        the same card may not take it). Logged for the admins."""
        now = self.clock.now()
        payment, booking = await _refunded(session, row)
        if row.status == store.SUCCEEDED:
            await reverse_refund(session, row.id, booking, now)
            payment.refunded_minor -= row.amount_minor
            payment.updated_at = now
        was = row.status
        row.status = store.FAILED
        row.provider_ref = row.provider_ref or ref
        row.updated_at = now
        _record(session, booking, row, "refund_failed", now, f", was {was}")
        log.warning(
            "refund %s of booking %s failed at the provider (was %s): the client has not been "
            "paid back; refund them again (POST /api/admin/bookings/{id}/refunds)",
            row.id,
            booking.id,
            was,
        )

    async def retry_pending(self) -> int:
        """Make every pending refund (a periodic job); how many succeeded. A refund whose last
        attempt started less than ATTEMPT_SECONDS ago is left to that attempt: the provider
        would answer the same key with the same refund, but a second call is waste (and a
        stand-in without idempotency keys, like localstripe, would refund twice)."""
        cutoff = self.clock.now() - timedelta(seconds=ATTEMPT_SECONDS)
        async with self.db.session() as session:
            ids = await store.pending(session, cutoff)
        done = 0
        for refund_id in ids:
            try:
                await self.make(refund_id)
                done += 1
            except Unavailable:
                continue
        return done

    async def reported(self, event: RefundEvent) -> str:
        """A refund the provider reports: settle ours, or record one made outside the
        platform; a replay changes nothing."""
        async with self.db.session() as session:
            payment = await _payment_by_ref(session, self.provider.name, event.provider_ref)
            if payment is None:
                log.warning("refund event for unknown payment %s", event.provider_ref)
                raise NotFound(Code.WEBHOOK_UNKNOWN_PAYMENT, "No payment of ours matches it.")
            row = None
            if event.refund_id is not None:
                row = await session.get(PaymentRefund, event.refund_id, with_for_update=True)
            if row is None:
                row = await store.by_provider_ref(session, event.refund_ref)
            if row is not None:
                if event.failed and row.status != store.FAILED:
                    await self._fail(session, row, event.refund_ref)
                    return "refund_failed"
                if row.status == store.PENDING and event.succeeded:
                    await self._settle(session, row, event.refund_ref)
                    return "settled"
                return "known"
            if not event.succeeded:
                return "ignored"
            refusal = _refusal(
                payment,
                event.amount.minor,
                event.amount.currency,
                await _committed(session, payment),
            )
            if refusal is not None:
                log.warning("refund event %s refused: %s", event.refund_ref, refusal.code)
                raise refusal
            row = store.new(
                payment_id=payment.id,
                booking_id=payment.booking_id,
                amount_minor=event.amount.minor,
                currency=event.amount.currency,
                reason="external",
                key=f"external:{event.refund_ref}",
                at=self.clock.now(),
            )
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                return "known"
            await self._settle(session, row, event.refund_ref)
            log.warning("refund %s was made outside the platform", event.refund_ref)
            return "recorded"


async def paid_payment(
    session: AsyncSession, booking_id: uuid.UUID, *, lock: bool = False
) -> Payment | None:
    """The booking's succeeded payment, if any."""
    query = select(Payment).where(Payment.booking_id == booking_id, Payment.status == "succeeded")
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query.limit(1))).first()


async def _payment_by_ref(session: AsyncSession, provider: str, ref: str) -> Payment | None:
    query = select(Payment).where(Payment.provider == provider, Payment.provider_ref == ref)
    return (await session.scalars(query.with_for_update())).one_or_none()


async def _committed(session: AsyncSession, payment: Payment | None) -> int:
    return 0 if payment is None else await store.committed(session, payment.id)


async def _refunded(session: AsyncSession, row: PaymentRefund) -> tuple[Payment, Booking]:
    """The refund's payment (locked) and booking."""
    payment = await session.get(Payment, row.payment_id, with_for_update=True)
    booking = await bookings_store.by_id(session, row.booking_id)
    assert payment is not None
    assert booking is not None
    return payment, booking


def _record(
    session: AsyncSession,
    booking: Booking,
    row: PaymentRefund,
    event: str,
    now: datetime,
    more: str = "",
) -> None:
    """The refund's step in the booking's history."""
    bookings_store.record(
        session,
        booking,
        at=now,
        event=event,
        from_status=booking.status,
        actor_id=None,
        facts=f"refund {row.id}: {row.amount_minor} {row.currency} ({row.reason}){more}",
    )


def _refusal(
    payment: Payment | None, amount_minor: int, currency: str, committed: int
) -> Conflict | Unprocessable | None:
    """Why a refund of `amount_minor` `currency` cannot be made, or None."""
    if currency not in CURRENCIES:
        return Unprocessable(
            Code.UNSUPPORTED_CURRENCY, [FieldError("currency", f"{currency} is not supported")]
        )
    if amount_minor <= 0:
        return Unprocessable(
            Code.AMOUNT_NOT_POSITIVE, [FieldError("minor", "must be more than zero")]
        )
    if payment is None:
        return Conflict(Code.NOTHING_TO_REFUND, "This booking has no succeeded payment.")
    if currency != payment.currency:
        return Unprocessable(
            Code.CURRENCY_MISMATCH,
            [FieldError("currency", f"the payment was made in {payment.currency}")],
        )
    left = payment.amount_minor - committed
    if left <= 0:
        return Conflict(Code.NOTHING_TO_REFUND, "Everything paid has been refunded already.")
    if amount_minor > left:
        return Conflict(
            Code.REFUND_TOO_LARGE,
            f"At most {left} minor units of {currency} are left to refund.",
        )
    return None


def _view(row: PaymentRefund) -> RefundView:
    return RefundView(row.id, Money(row.amount_minor, row.currency), row.status, row.reason)
