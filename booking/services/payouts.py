"""Paying coaches what they have earned, through a transfer per payout.

A run (the periodic job, or an admin asking) does two things:

1. For each coach with a payout account and an available balance (their share of settled
   bookings, i.e. completed or otherwise final, with no refund under way, less what was paid
   out, all from the ledger) and no payout still pending in that currency, write a `pending`
   payout of that balance.
2. Send every pending payout as a transfer with the key `payout:{id}`. Success marks it paid
   and posts the payout to the ledger in one transaction; failure records the provider's code
   and leaves it pending, and the balance payable, for the next run, which sends the same
   transfer with the same key: the provider makes it at most once, and the ledger posts it at
   most once.

A coach without a payout account is skipped (and logged) until an admin sets one.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from booking.money import Money
from booking.payments.connect import Transfers
from booking.payments.provider import PaymentError
from booking.services.ledger import SETTLED, post_payout
from booking.storage import ledger as ledger_store
from booking.storage import payouts as store
from booking.storage.coaches import Coach
from booking.storage.payouts import Payout, PayoutAccount
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, FieldError, NotFound, Unprocessable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Run:
    created: int
    paid: int
    failed: int
    skipped: int  # coaches with a balance but no payout account


class Payouts:
    def __init__(self, db: Database, clock: Clock, transfers: Transfers) -> None:
        self.db = db
        self.clock = clock
        self.transfers = transfers

    async def set_account(self, admin_id: uuid.UUID, coach_id: uuid.UUID, account: str) -> str:
        if self.transfers.name == "stripe" and not account.startswith("acct_"):
            log.warning("admin %s gave coach %s a non-Stripe payout account", admin_id, coach_id)
            raise Unprocessable(
                Code.PAYOUT_ACCOUNT_INVALID,
                [FieldError("account", "a Stripe Connect account id starting acct_")],
            )
        async with self.db.session() as session:
            if await session.get(Coach, coach_id) is None:
                raise NotFound(Code.COACH_NOT_FOUND, f"No coach has id {coach_id}.")
            row = await session.get(PayoutAccount, coach_id)
            if row is None:
                row = PayoutAccount(coach_id=coach_id)
                session.add(row)
            row.provider = self.transfers.name
            row.account_ref = account
            row.updated_at = self.clock.now()
        log.info("admin %s set the payout account of coach %s", admin_id, coach_id)
        return account

    async def run(self) -> Run:
        created, skipped = await self._plan()
        async with self.db.session() as session:
            due = [
                (p.id, p.coach_id, Money(p.amount_minor, p.currency))
                for p in await store.pending(session)
            ]
            accounts = await store.accounts(session, self.transfers.name)
        paid = failed = 0
        for payout_id, coach_id, amount in due:
            account = accounts.get(coach_id)
            if account is None:
                continue
            if await self._send(payout_id, coach_id, account, amount):
                paid += 1
            else:
                failed += 1
        if created or paid or failed:
            log.info("payouts: %s created, %s paid, %s failed", created, paid, failed)
        return Run(created, paid, failed, skipped)

    async def _plan(self) -> tuple[int, int]:
        """Write a pending payout for each available balance without one."""
        now = self.clock.now()
        created = skipped = 0
        async with self.db.session() as session:
            available = await ledger_store.payable_by_coach(session, SETTLED)
            open_ = {(p.coach_id, p.currency) for p in await store.pending(session)}
            accounts = await store.accounts(session, self.transfers.name)
        for (coach_id, currency), amount in sorted(available.items(), key=str):
            if amount <= 0 or (coach_id, currency) in open_:
                continue
            if coach_id not in accounts:
                log.info(
                    "coach %s has %s %s to pay but no payout account", coach_id, amount, currency
                )
                skipped += 1
                continue
            try:
                async with self.db.session() as session:
                    session.add(
                        Payout(
                            coach_id=coach_id,
                            amount_minor=amount,
                            currency=currency,
                            status=store.PENDING,
                            attempts=0,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                created += 1
            except IntegrityError:  # another run wrote it first: that one pays
                continue
        return created, skipped

    async def _send(
        self, payout_id: uuid.UUID, coach_id: uuid.UUID, account: str, amount: Money
    ) -> bool:
        now = self.clock.now()
        try:
            made = await self.transfers.transfer(
                account=account,
                amount=amount,
                idempotency_key=f"payout:{payout_id}",
                payout_id=payout_id,
            )
        except PaymentError as exc:
            async with self.db.session() as session:
                row = await session.get(Payout, payout_id, with_for_update=True)
                if row is not None and row.status == store.PENDING:
                    row.attempts += 1
                    row.last_error = str(exc)[:120]
                    row.updated_at = now
            log.warning("payout %s to coach %s failed; it will be retried", payout_id, coach_id)
            return False
        async with self.db.session() as session:
            row = await session.get(Payout, payout_id, with_for_update=True)
            if row is None or row.status != store.PENDING:
                return True
            await post_payout(session, payout_id, coach_id, amount, now)
            row.status = store.PAID
            row.attempts += 1
            row.transfer_ref = made.transfer_ref
            row.last_error = None
            row.paid_at = now
            row.updated_at = now
        log.info("payout %s paid to coach %s", payout_id, coach_id)
        return True
