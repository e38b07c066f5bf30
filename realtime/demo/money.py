"""The demo coach's money: payments, a refund, payouts and the ledger behind them.

Every paid demo session has a succeeded demo payment and its ledger charge; the client's
cancellation 30 h ahead was refunded in full, as the policy says; and earlier completed
sessions with other clients were paid out in two payouts, so the demo coach's earnings show
gross, commission, refunds, paid out, available (the latest completed session) and pending
(the upcoming ones), with a payout history.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import Money
from booking.policy import slots
from booking.policy.commission import split
from booking.policy.slots import Schedule
from booking.services.ledger import post_charge, post_payout, post_refund
from booking.storage import refunds as refund_store
from booking.storage.bookings import Booking, Payment
from booking.storage.coaches import Coach
from booking.storage.payouts import PAID, Payout, PayoutAccount

# Earlier completed sessions with other clients (days ago) and the payouts that paid them.
EARLIER_DAYS = (42, 35, 28, 21)
PAYOUTS = ((27, (42, 35)), (13, (28, 21)))


async def seed_money(
    session: AsyncSession,
    coach: Coach,
    schedule: Schedule,
    clients: list[uuid.UUID],
    price: Money,
    duration: int,
    now: datetime,
) -> None:
    hour = now.replace(minute=0, second=0, microsecond=0)
    earlier: dict[int, Booking] = {}
    for n, days in enumerate(EARLIER_DAYS):
        start = hour - timedelta(days=days, hours=2)
        end = start + timedelta(minutes=duration)
        guard = slots.blocked(start, end, schedule)
        earlier[days] = Booking(
            coach_id=coach.id,
            client_id=clients[n % len(clients)],
            session_type="video",
            duration=duration,
            starts_at=start,
            ends_at=end,
            blocked_from=guard.start,
            blocked_to=guard.end,
            status="completed",
            price_minor=price.minor,
            currency=price.currency,
            commission_bps=coach.commission_bps,
            confirmed_at=start - timedelta(days=4),
            created_at=start - timedelta(days=4),
            updated_at=end,
        )
        session.add(earlier[days])
    await session.flush()
    bookings = (await session.scalars(select(Booking).where(Booking.coach_id == coach.id))).all()
    for booking in bookings:
        if booking.confirmed_at is not None:
            await _paid(session, booking, now)
    for paid_days_ago, covered in PAYOUTS:
        share = split(price, coach.commission_bps).coach_share
        amount = Money(share.minor * len(covered), price.currency)
        at = hour - timedelta(days=paid_days_ago)
        payout = Payout(
            coach_id=coach.id,
            amount_minor=amount.minor,
            currency=amount.currency,
            status=PAID,
            attempts=1,
            transfer_ref=f"demo_tr_{paid_days_ago}",
            created_at=at,
            updated_at=at,
            paid_at=at,
        )
        session.add(payout)
        await session.flush()
        await post_payout(session, payout.id, coach.id, amount, at)
    session.add(
        PayoutAccount(
            coach_id=coach.id, provider="demo", account_ref="demo_acct_coach", updated_at=now
        )
    )


async def _paid(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """A succeeded demo payment for the booking, its charge, and its refund if canceled; paid
    when it was confirmed, and never in the future."""
    assert booking.confirmed_at is not None
    at = min(booking.confirmed_at, now)
    payment = Payment(
        booking_id=booking.id,
        provider="demo",
        provider_ref=f"demo_pi_{booking.id.hex[:24]}",
        amount_minor=booking.price_minor,
        currency=booking.currency,
        status="succeeded",
        refunded_minor=0,
        created_at=at,
        updated_at=at,
    )
    session.add(payment)
    await session.flush()
    await post_charge(session, payment, booking, at)
    if booking.status == "canceled_by_client" and booking.canceled_at is not None:
        amount = Money(booking.price_minor, booking.currency)
        refund = refund_store.new(
            payment_id=payment.id,
            booking_id=booking.id,
            amount_minor=amount.minor,
            currency=amount.currency,
            reason="cancel_by_client",
            key=f"cancel_by_client:{booking.id}",
            at=booking.canceled_at,
            status=refund_store.SUCCEEDED,
            provider_ref=f"demo_re_{booking.id.hex[:24]}",
        )
        session.add(refund)
        await session.flush()
        await post_refund(session, refund.id, payment, booking, amount, booking.canceled_at)
        payment.refunded_minor = amount.minor
