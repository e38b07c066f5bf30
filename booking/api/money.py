"""Money after the booking: Stripe's webhook, refunds by admins, payouts, coach earnings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from booking.api.bookings import PriceOut
from booking.api.changes import RefundOut, price
from booking.api.scheduling import SCHEDULING
from booking.money import Money
from booking.services.ledger import Earnings, Figures
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="payments")


class StripeEventIn(BaseModel):
    """A Stripe event, read raw: the signature covers the exact bytes received."""

    model_config = ConfigDict(extra="allow")
    id: str = ""
    type: str = ""


class ReceivedOut(Output):
    event_id: str
    type: str
    result: str = Field(
        description="What was done: confirmed, failed, refunded_late, pending, settled, "
        "recorded, refund_failed, known, ignored, or duplicate (an event id seen before)."
    )


@routes.post(
    "/api/webhooks/stripe",
    summary="Stripe's webhook (signed events about payments and refunds)",
    input=StripeEventIn,
    responses={200: ReceivedOut},
    access="public",
    errors=(400, 404, 409, 503),
)
async def stripe_webhook(request: web.Request, _: StripeEventIn) -> web.StreamResponse:
    """Verifies `Stripe-Signature` over the raw body (300 s tolerance): a bad one is 400
    `webhook_signature_invalid` and changes nothing. Each event id is acted on once. 404
    `webhook_unknown_payment` for a payment we do not know (Stripe retries it)."""
    received = await request.app[SCHEDULING].webhooks.receive(
        await request.read(), request.headers.get("Stripe-Signature")
    )
    return respond(
        ReceivedOut(event_id=received.event_id, type=received.type, result=received.result)
    )


class AmountIn(Input):
    minor: int = Field(description="Integer minor units; more than zero.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217, upper case.")


class AdminRefundIn(Input):
    amount: AmountIn


@routes.post(
    "/api/admin/bookings/{id}/refunds",
    summary="Refund part or all of a booking's payment",
    input=AdminRefundIn,
    responses={201: RefundOut},
    access="admin",
    errors=(404, 409, 422, 503),
    idempotent=True,
)
async def admin_refund(request: web.Request, body: AdminRefundIn) -> web.StreamResponse:
    """422 `amount_not_positive`, `unsupported_currency` or `currency_mismatch`; 409
    `refund_too_large` beyond what is left of the payment, `nothing_to_refund` without one.
    Every refusal changes nothing and is logged."""
    caller = await require(request, Role.ADMIN)
    refund = await request.app[SCHEDULING].refunds.admin_refund(
        caller.user_id, uuid_param(request), body.amount.minor, body.amount.currency
    )
    return respond(RefundOut.of(refund), status=201)


class PayoutAccountIn(Input):
    account: str = Field(
        min_length=1, max_length=255, description="The coach's Stripe Connect id (`acct_...`)."
    )


class PayoutAccountOut(Output):
    coach_id: uuid.UUID
    account: str


@routes.put(
    "/api/admin/coaches/{id}/payout-account",
    summary="Set the account a coach is paid into",
    input=PayoutAccountIn,
    responses={200: PayoutAccountOut},
    access="admin",
    errors=(404, 422),
)
async def set_payout_account(request: web.Request, body: PayoutAccountIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    coach_id = uuid_param(request)
    account = await request.app[SCHEDULING].payouts.set_account(
        caller.user_id, coach_id, body.account
    )
    return respond(PayoutAccountOut(coach_id=coach_id, account=account))


class PayoutRunOut(Output):
    created: int
    paid: int
    failed: int = Field(description="Transfers refused this run; retried next run.")
    skipped: int = Field(description="Coaches with a balance but no payout account.")


@routes.post(
    "/api/admin/payouts/run",
    summary="Pay every coach's available balance now",
    responses={200: PayoutRunOut},
    access="admin",
)
async def run_payouts(request: web.Request, _: NoInput) -> web.StreamResponse:
    """What the periodic payout job does, now."""
    await require(request, Role.ADMIN)
    run = await request.app[SCHEDULING].payouts.run()
    return respond(
        PayoutRunOut(created=run.created, paid=run.paid, failed=run.failed, skipped=run.skipped)
    )


class LedgerLineOut(Output):
    account: str
    currency: str
    balance_minor: int = Field(description="Debits positive, credits negative.")


class LedgerOut(Output):
    accounts: list[LedgerLineOut]
    balanced: bool = Field(description="Every currency's accounts sum to zero.")


@routes.get(
    "/api/admin/ledger",
    summary="The ledger's trial balance per account and currency",
    responses={200: LedgerOut},
    access="admin",
)
async def trial_balance(request: web.Request, _: NoInput) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    sums = await request.app[SCHEDULING].ledger.trial_balance()
    per_currency: dict[str, int] = {}
    for (_account, currency), total in sums.items():
        per_currency[currency] = per_currency.get(currency, 0) + total
    return respond(
        LedgerOut(
            accounts=[
                LedgerLineOut(account=a, currency=c, balance_minor=t) for (a, c), t in sums.items()
            ],
            balanced=all(total == 0 for total in per_currency.values()),
        )
    )


class EarningsQuery(Input):
    period: Literal["month", "week"] = "month"


class FiguresOut(Output):
    gross: PriceOut = Field(description="What clients paid.")
    commission: PriceOut = Field(description="The platform's fees, net of refunded fees.")
    refunds: PriceOut = Field(description="What went back to clients.")
    net: PriceOut = Field(description="gross - commission - refunds: the coach's earnings.")
    paid_out: PriceOut


class BalanceOut(FiguresOut):
    pending: PriceOut = Field(description="Earned on sessions not yet over; paid once settled.")
    available: PriceOut = Field(description="Settled and not yet paid: the next payout.")


class PeriodOut(FiguresOut):
    period: str = Field(description="`2026-03` by month, `2026-W10` by ISO week (UTC).")


class PayoutOut(Output):
    id: uuid.UUID
    amount: PriceOut
    status: str = Field(description="pending (being sent or retried) or paid.")
    created_at: datetime
    paid_at: datetime | None


class EarningsOut(Output):
    coach_id: uuid.UUID
    balances: list[BalanceOut] = Field(description="All time, one per currency.")
    periods: list[PeriodOut] = Field(description="Oldest first.")
    payouts: list[PayoutOut] = Field(description="Newest first.")


@routes.get(
    "/api/coaches/me/earnings",
    summary="Your earnings: gross, commission, refunds, paid out and pending, by period",
    input=EarningsQuery,
    responses={200: EarningsOut},
    access="coach",
    errors=(403,),
)
async def earnings(request: web.Request, query: EarningsQuery) -> web.StreamResponse:
    """Derived from the ledger: nothing here is a stored total."""
    caller = await require(request, Role.COACH)
    found = await request.app[SCHEDULING].ledger.earnings(caller.user_id, query.period)
    return respond(earnings_out(found))


def earnings_out(found: Earnings) -> EarningsOut:
    def figures(f: Figures, currency: str) -> dict[str, PriceOut]:
        return {
            "gross": price(Money(f.gross, currency)),
            "commission": price(Money(f.commission, currency)),
            "refunds": price(Money(f.refunds, currency)),
            "net": price(Money(f.net, currency)),
            "paid_out": price(Money(f.paid_out, currency)),
        }

    return EarningsOut(
        coach_id=found.coach_id,
        balances=[
            BalanceOut(
                **figures(b.totals, b.currency),
                pending=price(Money(b.pending, b.currency)),
                available=price(Money(b.available, b.currency)),
            )
            for b in found.balances
        ],
        periods=[
            PeriodOut(period=p.period, **figures(p.figures, p.currency)) for p in found.periods
        ],
        payouts=[
            PayoutOut(
                id=p.id,
                amount=price(p.amount),
                status=p.status,
                created_at=p.created_at,
                paid_at=p.paid_at,
            )
            for p in found.payouts
        ],
    )
