"""A coach's private calendar feed: their sessions as an iCalendar subscription.

The coach gets a secret URL (`{PUBLIC_URL}/api/calendar-feeds/{secret}.ics`) to subscribe to from
Google, Apple or Outlook calendars. Only the SHA-256 of the secret is stored; issuing again
rotates it (the old URL stops at once) and revoking removes it. The feed lists the coach's
sessions that ended at most PAST_DAYS ago or are still to come, each named with the client's
first name only and no session details; canceled ones stay in it as cancelled so subscribers
remove them. Issuing, revoking and each read of the feed are audited (the feed's secret never
is: the audit names the coach).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.policy import states
from booking.services.availability import own_coach
from booking.services.calendar import CANCELED, CalendarEntry
from booking.storage import subscriptions as store
from realtime.audit import Audit
from realtime.auth.tokens import hash_secret, new_refresh_secret
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, NotFound

log = logging.getLogger(__name__)

PAST_DAYS = 30
IN_FEED = frozenset(
    s.value for s in states.Status if s not in (states.Status.HELD, states.Status.EXPIRED)
)
FEED_PATH = "/api/calendar-feeds/"


@dataclass(frozen=True)
class SubscriptionView:
    active: bool
    created_at: datetime | None
    url: str | None = None  # only when just issued: the secret is not kept


def first_name(display_name: str) -> str:
    words = display_name.split()
    return words[0] if words else "client"


class Subscriptions:
    def __init__(self, db: Database, clock: Clock, audit: Audit, public_url: str) -> None:
        self.db = db
        self.clock = clock
        self.audit = audit
        self.public_url = public_url.rstrip("/")

    async def status(self, user_id: uuid.UUID) -> SubscriptionView:
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            row = await store.of_coach(session, coach.id)
        return SubscriptionView(row is not None, row.created_at if row else None)

    async def issue(self, user_id: uuid.UUID, *, address: str | None) -> SubscriptionView:
        """A new secret feed URL for the coach; any earlier one stops working."""
        secret = new_refresh_secret()
        now = self.clock.now()
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            await store.put(session, coach.id, hash_secret(secret), now)
        await self._audit(user_id, "calendar_feed.issue", coach.id, address)
        url = f"{self.public_url}{FEED_PATH}{secret}.ics"
        return SubscriptionView(True, now, url)

    async def revoke(self, user_id: uuid.UUID, *, address: str | None) -> None:
        """The feed URL stops working (revoking twice is fine)."""
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            removed = await store.remove(session, coach.id)
        if removed:
            await self._audit(user_id, "calendar_feed.revoke", coach.id, address)

    async def feed(self, secret: str, *, address: str | None) -> list[CalendarEntry]:
        """The entries of the feed whose secret this is; 404 for any other secret."""
        now = self.clock.now()
        async with self.db.session() as session:
            coach_id = await store.coach_by_secret(session, hash_secret(secret))
            if coach_id is None:
                raise NotFound(Code.NOT_FOUND, "No calendar feed has this address.")
            rows = await store.sessions_of(
                session, coach_id, IN_FEED, now - timedelta(days=PAST_DAYS)
            )
        await self._audit(None, "calendar_feed.read", coach_id, address)
        log.info("calendar feed of coach %s read: %d entries", coach_id, len(rows))
        entries = []
        for booking, client_name in rows:
            canceled = booking.status in CANCELED
            entries.append(
                CalendarEntry(
                    booking_id=booking.id,
                    session_type=booking.session_type,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    with_name=first_name(client_name),
                    canceled=canceled,
                    sequence=booking.reschedule_count + (1 if canceled else 0),
                    stamp=now,
                    url=f"{self.public_url}/sessions/{booking.id}",
                )
            )
        return entries

    async def _audit(
        self, actor: uuid.UUID | None, action: str, coach_id: uuid.UUID, address: str | None
    ) -> None:
        await self.audit.record(
            actor_id=actor,
            action=action,
            booking_id=None,
            item_id=f"coach:{coach_id}",
            address=address,
        )
