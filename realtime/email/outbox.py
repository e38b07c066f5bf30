"""The outbox: emails written with the change that causes them, sent by every process.

Rules, and why:

- `enqueue` inserts in the caller's transaction: an email exists if and only if its change
  committed, and a crash between the two cannot lose one or send one for a rolled-back change.
- `Outbox.send_due` runs in every server process on the injected clock. A row is claimed with a
  compare-and-set (`UPDATE ... WHERE status = 'pending' AND lease free`), committed, so two
  processes never both hold it; the same statement works on PostgreSQL and SQLite and no
  transaction stays open while SMTP talks. The outcome (sent, or back to pending with a later
  `due_at`) is written only while the claim is still ours.
- The lease (`LEASE_SECONDS`) is far longer than the SMTP timeout, so a claim cannot lapse while
  its email is still being sent. A process that dies mid-send leaves its lease to run out; the
  row is then sent again: at least once, never twice while the sender lives.
- SMTP down: retried with exponential backoff (30 s doubling to an hour), given up after
  `MAX_ATTEMPTS` and logged; the template's params (maybe a link's token) are emptied once a
  row is sent or given up.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.email.mailers import Mailer, SendFailed
from realtime.email.models import OutboxEmail
from realtime.email.templates import TEMPLATES, render

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
MAX_ATTEMPTS = 12
BATCH = 50
_FIRST_RETRY = 30
_LONGEST_RETRY = 3600


async def enqueue(
    db: AsyncSession | AsyncConnection,
    now: datetime,
    *,
    to: str,
    template: str,
    params: Mapping[str, str],
    user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add an email to the outbox in the caller's transaction; it is sent once that commits."""
    if template not in TEMPLATES:
        raise KeyError(template)
    email_id = new_id()
    await db.execute(
        insert(OutboxEmail).values(
            id=email_id,
            user_id=user_id,
            to_address=to,
            template=template,
            params=dict(params),
            status="pending",
            attempts=0,
            created_at=now,
            due_at=now,
        )
    )
    return email_id


def retry_delay(attempts: int) -> int:
    """Seconds before the next try after `attempts` failed ones."""
    return int(min(_FIRST_RETRY * 2 ** max(attempts - 1, 0), _LONGEST_RETRY))


class Outbox:
    def __init__(self, db: Database, clock: Clock, mailer: Mailer, public_url: str) -> None:
        self.db = db
        self.clock = clock
        self.mailer = mailer
        self.public_url = public_url

    async def send_due(self) -> int:
        """Send every email that is due and not claimed elsewhere; answer how many went."""
        now = self.clock.now()
        async with self.db.autocommit() as conn:
            due = (
                await conn.execute(
                    select(OutboxEmail.id)
                    .where(
                        OutboxEmail.status == "pending",
                        OutboxEmail.due_at <= now,
                        _lease_free(now),
                    )
                    .order_by(OutboxEmail.due_at)
                    .limit(BATCH)
                )
            ).scalars()
            ids = list(due)
        sent = 0
        for email_id in ids:
            sent += await self._send_one(email_id)
        return sent

    async def _send_one(self, email_id: uuid.UUID) -> int:
        claim = uuid.uuid4().hex
        now = self.clock.now()
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    update(OutboxEmail)
                    .where(
                        OutboxEmail.id == email_id,
                        OutboxEmail.status == "pending",
                        _lease_free(now),
                    )
                    .values(claim=claim, claimed_until=now + timedelta(seconds=LEASE_SECONDS))
                    .returning(
                        OutboxEmail.to_address,
                        OutboxEmail.template,
                        OutboxEmail.params,
                        OutboxEmail.attempts,
                    )
                )
            ).first()
        if row is None:
            return 0  # another process claimed it first
        message = render(row.template, row.to_address, row.params, self.public_url)
        try:
            await self.mailer.send(email_id, row.template, message)
        except SendFailed as exc:
            await self._failed(email_id, claim, row.attempts + 1, str(exc))
            return 0
        await self._finish(email_id, claim, status="sent", sent_at=self.clock.now(), params={})
        log.info("email %s (%s) sent", email_id, row.template)
        return 1

    async def _failed(self, email_id: uuid.UUID, claim: str, attempts: int, error: str) -> None:
        if attempts >= MAX_ATTEMPTS:
            await self._finish(
                email_id, claim, status="failed", attempts=attempts, last_error=error, params={}
            )
            log.error("email %s given up after %d attempts: %s", email_id, attempts, error)
            return
        delay = retry_delay(attempts)
        await self._finish(
            email_id,
            claim,
            attempts=attempts,
            last_error=error,
            due_at=self.clock.now() + timedelta(seconds=delay),
        )
        log.warning("email %s not sent (%s); trying again in %d s", email_id, error, delay)

    async def _finish(self, email_id: uuid.UUID, claim: str, **values: object) -> None:
        """Record a claimed row's outcome and free the claim, only if the claim is still ours."""
        async with self.db.transaction() as conn:
            await conn.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == email_id, OutboxEmail.claim == claim)
                .values(claim=None, claimed_until=None, **values)
            )


def _lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now)
