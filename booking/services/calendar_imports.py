"""A coach's own calendars whose busy time blocks slots here.

- `add` reads the calendar once before storing anything: an unreachable or malformed URL is a
  problem detail and nothing is kept. The source (URL) is sealed with the vault in the coach's
  scope; only the host is kept in clear, to show in lists. Busy intervals over the booking
  horizon (HORIZON_DAYS, at least the coach's own) are the only thing kept of the events.
- `refresh` (on demand) and `refresh_due` (the `refresh-calendars` job, every process) read a
  calendar again under a lease (compare-and-set on `claimed_until`, as the email outbox), so
  two processes never refresh one calendar at once. A failure is recorded on the calendar
  (`status: failing`, `last_error`) and its last known busy time is kept; it is shown to the
  coach in the list, never dropped silently.
- Every change of busy time tells the calendar feed (`slots:changed`, reason `imported`).
- Adding, deleting and refreshing are audited; the sealed source is opened only to read it.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy.calendar_imports import NotICalendar, busy_intervals, busy_of_all
from booking.services.availability import own_coach
from booking.services.calendar_sources import (
    CalendarRefused,
    FetchRules,
    checked_url,
    fetch_caldav,
    fetch_ical,
)
from booking.services.calendars import CalendarFeed
from booking.storage import calendar_imports as store
from booking.storage.calendar_imports import ImportedCalendar
from booking.storage.coaches import Coach
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict, NotFound
from realtime.vault import Sealer

log = logging.getLogger(__name__)

HORIZON_DAYS = 400  # read ahead: more than any bookable horizon a coach can set with a limit
REFRESH_GAP_SECONDS = 30  # on-demand refreshes of one calendar: at most one per this
LEASE_SECONDS = 300  # far longer than a fetch may take (CALENDAR_FETCH_TIMEOUT_SECONDS <= 120)


def coach_scope(coach_id: uuid.UUID) -> str:
    return f"coach:{coach_id}"


@dataclass(frozen=True)
class Source:
    """Where a calendar is read from: sealed whole (a secret URL or a password is a credential)."""

    kind: str  # ical | caldav
    url: str
    username: str = ""
    password: str = field(default="", repr=False)


def not_found() -> NotFound:
    return NotFound(Code.CALENDAR_NOT_FOUND, "You have no imported calendar with this id.")


@dataclass(frozen=True)
class CalendarView:
    id: uuid.UUID
    kind: str
    label: str
    host: str
    status: str
    last_error: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime
    busy_count: int

    @classmethod
    def of(cls, row: ImportedCalendar) -> CalendarView:
        return cls(
            row.id,
            row.kind,
            row.label,
            row.host,
            row.status,
            row.last_error,
            row.last_success_at,
            row.last_attempt_at,
            row.busy_count,
        )


class CalendarImports:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sealer: Sealer,
        audit: Audit,
        feed: CalendarFeed,
        rules: FetchRules,
        *,
        per_coach: int,
        refresh_minutes: int,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit
        self.feed = feed
        self.rules = rules
        self.per_coach = per_coach
        self.refresh_every = timedelta(minutes=refresh_minutes)

    async def of_coach(self, user_id: uuid.UUID) -> list[CalendarView]:
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            return [CalendarView.of(row) for row in await store.of_coach(session, coach.id)]

    async def add(
        self,
        user_id: uuid.UUID,
        source: Source,
        label: str,
        *,
        address: str | None,
    ) -> CalendarView:
        """Read the calendar, then store it with its busy time; nothing is stored if it fails."""
        target, host = checked_url(source.url)
        source = replace(source, url=target)
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            count = len(await store.of_coach(session, coach.id))
        if count >= self.per_coach:
            raise self._limit()
        zone = ZoneInfo(coach.time_zone)
        now = self.clock.now()
        busy = await self._read(source, zone, now)
        calendar_id = uuid.uuid4()
        sealed = json.dumps(asdict(source)).encode()
        box = await self.sealer.box(coach_scope(coach.id))
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            if len(await store.of_coach(session, coach.id)) >= self.per_coach:
                raise self._limit()
            row = store.read_now(
                calendar_id,
                coach.id,
                kind=source.kind,
                label=label,
                host=host,
                source=box.seal(str(calendar_id), sealed),
                busy_count=len(busy),
                now=now,
            )
            session.add(row)
            await session.flush()
            await store.replace_busy(session, row, busy)
            view = CalendarView.of(row)
        await self._audit(user_id, "imported_calendar.add", coach.id, calendar_id, address)
        await self._changed(coach.id, busy, [])
        return view

    async def remove(
        self, user_id: uuid.UUID, calendar_id: uuid.UUID, *, address: str | None
    ) -> None:
        async with self.db.session() as session:
            coach = await own_coach(session, user_id, lock=True)
            row = await store.one_of_coach(session, coach.id, calendar_id)
            if row is None:
                raise not_found()
            old = await store.busy_of(session, calendar_id)
            await store.remove(session, calendar_id)
        await self._audit(user_id, "imported_calendar.delete", coach.id, calendar_id, address)
        await self._changed(coach.id, old, [])

    async def refresh(
        self, user_id: uuid.UUID, calendar_id: uuid.UUID, *, address: str | None
    ) -> CalendarView:
        """Read the calendar again now (unless it was read less than REFRESH_GAP_SECONDS ago:
        a coach cannot make the server fetch in a loop); its status tells how it went."""
        async with self.db.session() as session:
            coach = await own_coach(session, user_id)
            row = await store.one_of_coach(session, coach.id, calendar_id)
        if row is None:
            raise not_found()
        if row.last_attempt_at <= self.clock.now() - timedelta(seconds=REFRESH_GAP_SECONDS):
            await self._refresh_one(calendar_id)
        await self._audit(user_id, "imported_calendar.refresh", coach.id, calendar_id, address)
        async with self.db.session() as session:
            fresh = await store.one_of_coach(session, coach.id, calendar_id)
            if fresh is None:
                raise not_found()
            return CalendarView.of(fresh)

    async def refresh_due(self) -> int:
        """Refresh every calendar last read more than CALENDAR_REFRESH_MINUTES ago; how many."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = await store.due(session, now - self.refresh_every, now)
        done = 0
        for calendar_id in due:
            done += await self._refresh_one(calendar_id)
        return done

    async def _refresh_one(self, calendar_id: uuid.UUID) -> int:
        """Claim, read and record one calendar; 0 if another process holds it."""
        now = self.clock.now()
        claim = uuid.uuid4().hex
        async with self.db.session() as session:
            taken = await store.take_lease(
                session, calendar_id, claim, now, now + timedelta(seconds=LEASE_SECONDS)
            )
            row = await session.get(ImportedCalendar, calendar_id) if taken else None
            if row is None:
                return 0
            coach_id, sealed, zone_name = row.coach_id, row.source, await _zone_of(session, row)
        opened = await self.sealer.open(coach_scope(coach_id), str(calendar_id), sealed)
        source = Source(**json.loads(opened))
        error: str | None = None
        busy: list[tuple[datetime, datetime]] = []
        try:
            busy = await self._read(source, ZoneInfo(zone_name), now)
        except CalendarRefused as exc:
            error = exc.message
        async with self.db.session() as session:
            row = await store.claimed(session, calendar_id, claim)
            if row is None:
                return 0  # deleted meanwhile, or the lease lapsed
            row.claim, row.claimed_until, row.last_attempt_at = None, None, self.clock.now()
            if error is not None:
                row.status, row.last_error = "failing", error[:300]
                log.info("imported calendar %s failed: %s", calendar_id, row.last_error)
                return 1
            old = await store.busy_of(session, calendar_id)
            row.status, row.last_error, row.last_success_at = "ok", None, row.last_attempt_at
            row.busy_count = len(busy)
            if old != busy:
                await store.replace_busy(session, row, busy)
        if old != busy:
            await self._changed(coach_id, old, busy)
        return 1

    async def _read(
        self, source: Source, zone: ZoneInfo, now: datetime
    ) -> list[tuple[datetime, datetime]]:
        start, end = now - timedelta(days=1), now + timedelta(days=HORIZON_DAYS)
        try:
            if source.kind == "caldav":
                objects = await fetch_caldav(
                    source.url, source.username, source.password, self.rules, start, end
                )
                return busy_of_all(objects, zone, start, end)
            return busy_intervals(await fetch_ical(source.url, self.rules), zone, start, end)
        except NotICalendar as exc:
            raise CalendarRefused(
                Code.CALENDAR_MALFORMED, f"The address does not serve an iCalendar file ({exc})."
            ) from exc

    def _limit(self) -> Conflict:
        return Conflict(
            Code.CALENDAR_LIMIT, f"A coach may import at most {self.per_coach} calendars."
        )

    async def _changed(
        self,
        coach_id: uuid.UUID,
        old: list[tuple[datetime, datetime]],
        new: list[tuple[datetime, datetime]],
    ) -> None:
        spans = old + new
        if spans:
            start = min(s for s, _ in spans)
            end = max(e for _, e in spans)
            await self.feed.slots_changed(coach_id, start, end, "imported")

    async def _audit(
        self,
        actor: uuid.UUID,
        action: str,
        coach_id: uuid.UUID,
        calendar_id: uuid.UUID,
        address: str | None,
    ) -> None:
        await self.audit.record(
            actor_id=actor,
            action=action,
            booking_id=None,
            item_id=f"coach:{coach_id}:calendar:{calendar_id}",
            address=address,
        )


async def _zone_of(session: AsyncSession, row: ImportedCalendar) -> str:
    coach = await session.get(Coach, row.coach_id)
    return coach.time_zone if coach is not None else "UTC"
