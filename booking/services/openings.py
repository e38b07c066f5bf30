"""Each listed coach's next free slot, for the directory's cards: kept on the coach's row
(`next_available_at`) so a page of cards costs no slot search.

The value is the start of the earliest free slot of any session type and length the coach
offers (the shortest length decides: slot starts sit on the coach's grid whatever the length,
and a start free for a longer session is free for a shorter one), looked for week by week up to
`HORIZON` ahead. It is worked out again

- for a coach whose slots changed on this process (a hold, booking, cancel, reschedule, an
  expired hold or a schedule change: `changed`, told by the calendar feed), at the next run of
  the job, a couple of seconds later. Every change happens on some process, so with several
  processes each works out the coaches that changed through it;
- for a coach never worked out, or whose next free slot is now in the past (time passed it);
- for a coach with nothing free within the horizon, again after `RECHECK_EMPTY` (days come
  into the horizon).

The coaches due by time are looked for once every `SWEEP_EVERY` (the query reads the listed
coaches); the changed ones need no query.

The load follows the changes, not the size of the directory. The slot picker (the slots route)
has the last word. Several processes may work out the same coach at once: the write is
idempotent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update

from booking.policy import slots
from booking.services.calendars import CalendarFeed, calendar_near
from booking.storage.coaches import Coach, CoachOffering
from realtime.clock import Clock
from realtime.db import Database

log = logging.getLogger(__name__)

HORIZON = timedelta(days=28)
STEP = timedelta(days=7)
RECHECK_EMPTY = timedelta(hours=1)
BATCH = 200
POLL_SECONDS = 2.0
# The coaches due by time (never worked out, passed, empty for a while) are looked for this
# often: that query reads the listed coaches, the changed ones need none.
SWEEP_EVERY = timedelta(minutes=1)


class Openings:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._changed: set[uuid.UUID] = set()
        self._swept_at: datetime | None = None

    def changed(self, coach_id: uuid.UUID) -> None:
        """The coach's slots changed here: work their next free slot out at the next run."""
        self._changed.add(coach_id)

    async def run(self) -> int:
        """The job: coaches changed here, then those due (never worked out, passed, or empty
        for a while); how many were worked out."""
        now = self.clock.now()
        ids, self._changed = list(self._changed), set()
        if self._swept_at is None or now - self._swept_at >= SWEEP_EVERY:
            self._swept_at = now
            known = set(ids)
            ids += [i for i in await self._due(now) if i not in known]
        for coach_id in ids:
            await self.refresh(coach_id)
        return len(ids)

    async def _due(self, now: datetime) -> list[uuid.UUID]:
        async with self.db.session() as session:
            found = await session.scalars(
                select(Coach.id)
                .where(
                    Coach.verification_status == "verified",
                    or_(
                        Coach.next_available_checked_at.is_(None),
                        Coach.next_available_at < now,
                        and_(
                            Coach.next_available_at.is_(None),
                            Coach.next_available_checked_at < now - RECHECK_EMPTY,
                        ),
                    ),
                )
                .order_by(Coach.next_available_checked_at.is_not(None), Coach.id)
                .limit(BATCH)
            )
            return list(found)

    async def refresh(self, coach_id: uuid.UUID) -> datetime | None:
        """Work out and store the coach's next free slot (None: nothing within HORIZON)."""
        now = self.clock.now()
        found = None
        async with self.db.transaction() as conn:
            row = (await conn.execute(select(Coach.time_zone).where(Coach.id == coach_id))).first()
            if row is None:
                return None
            lengths = [
                d
                for durations in await conn.scalars(
                    select(CoachOffering.durations).where(CoachOffering.coach_id == coach_id)
                )
                for d in durations
            ]
            if lengths:
                zone = ZoneInfo(row.time_zone)
                start = now
                while found is None and start < now + HORIZON:
                    window = slots.Interval(start, min(start + STEP, now + HORIZON))
                    schedule, busy = await calendar_near(conn, coach_id, zone, window, now)
                    starts = slots.free_starts(
                        schedule, window, min(lengths), now=now, busy=busy.live
                    )
                    if starts:
                        found = datetime.fromtimestamp(starts[0], UTC)
                    start = window.end
            await conn.execute(
                update(Coach)
                .where(Coach.id == coach_id)
                .values(next_available_at=found, next_available_checked_at=now)
            )
        return found


class TellingOpenings:
    """A calendar feed that also tells `Openings` whose slots changed."""

    def __init__(self, inner: CalendarFeed, openings: Openings) -> None:
        self.inner = inner
        self.openings = openings

    async def slots_changed(
        self, coach_id: uuid.UUID, start: datetime, end: datetime, reason: str
    ) -> None:
        self.openings.changed(coach_id)
        await self.inner.slots_changed(coach_id, start, end, reason)
