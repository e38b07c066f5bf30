"""The coach dashboard's arithmetic: months, outcome rates, medians, response times, retention
and the rating trend. Pure: the service (`booking.services.dashboard`) loads the facts.

Months are calendar months in the coach's IANA zone, because that is how a coach reads
"March": a session on 31 March at 21:00 in New York is in March even though it is April in
UTC. A month starts at local midnight of its first day, turned into UTC; in a zone whose clocks
skip midnight (a DST gap at 00:00), `fold=0` gives the first instant that exists that day. The
period of `months(now, zone, n)` is the n months ending with the one `now` is in, oldest first;
the figures cover it from the first month's start to `now`.

Outcome rates are over the period's decided sessions: completed, no_show_client, no_show_coach
and interrupted (an interrupted session counts in the denominator while it waits for an admin's
resolution, so the three rates need not add up to one). Canceled and expired bookings are not
sessions that took place and are left out. With no decided session a rate is None, never 0.

Response times to chat: in one room's messages, in `seq` order, the wait runs from the first
client message the coach has not answered yet to the coach's next message; several client
messages in a row wait as one (the coach answers them together), and a last unanswered run is
not measured (there is no answer yet). The median, not the mean, so one slow night does not
hide a usually quick coach. Booking changes have no request the coach answers (a reschedule or
a cancel is made at once, `booking.services.changes`), so there is no response time to them.

Retention: of the distinct clients with a completed session in the period, those who have
another booking with this coach (paid and not canceled, whatever became of it) starting after
that session's end and within `RETENTION_WINDOW` of it. A session near the end of the period
may still be followed: its client counts as not retained until they book again.

The rating trend: the average of each month's reviews (None for a month without any).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from booking.policy.states import Status

RETENTION_WINDOW = timedelta(days=60)

# What a session's end decided (`booking.policy.outcomes`), an admin's resolution included.
DECIDED: frozenset[Status] = frozenset(
    {Status.COMPLETED, Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH, Status.INTERRUPTED}
)
# A booking that follows a session for retention: paid, and not canceled.
REBOOKED: frozenset[Status] = DECIDED | {Status.CONFIRMED, Status.IN_PROGRESS}


@dataclass(frozen=True)
class Month:
    label: str  # "2026-03", in the coach's zone
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def month_start(year: int, month: int, zone: ZoneInfo) -> datetime:
    """Local midnight of the month's first day, in UTC."""
    return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)


def months(now: datetime, zone: ZoneInfo, count: int) -> list[Month]:
    """The `count` months in `zone` ending with the one `now` is in, oldest first."""
    if count < 1:
        raise ValueError("a period has at least one month")
    local = now.astimezone(zone)
    index = local.year * 12 + local.month - 1  # months since year 0
    starts = [
        (i // 12, i % 12 + 1, month_start(i // 12, i % 12 + 1, zone))
        for i in range(index - count + 1, index + 2)
    ]
    return [
        Month(f"{year}-{month:02d}", start, end)
        for (year, month, start), (_, _, end) in pairwise(starts)
    ]


def month_of(at: datetime, zone: ZoneInfo) -> str:
    """The label of the month `at` falls in, in `zone`."""
    local = at.astimezone(zone)
    return f"{local.year}-{local.month:02d}"


@dataclass(frozen=True)
class Rate:
    count: int
    of: int

    @property
    def value(self) -> float | None:
        return None if self.of == 0 else self.count / self.of


@dataclass(frozen=True)
class Outcomes:
    decided: int
    completed: Rate
    no_show_client: Rate
    no_show_coach: Rate
    interrupted: int


def outcome_rates(counts: Mapping[str, int]) -> Outcomes:
    """The rates from the number of bookings per status; statuses not decided are ignored."""
    decided = sum(n for status, n in counts.items() if status in DECIDED)

    def rate(status: Status) -> Rate:
        return Rate(counts.get(status.value, 0), decided)

    return Outcomes(
        decided=decided,
        completed=rate(Status.COMPLETED),
        no_show_client=rate(Status.NO_SHOW_CLIENT),
        no_show_coach=rate(Status.NO_SHOW_COACH),
        interrupted=counts.get(Status.INTERRUPTED.value, 0),
    )


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Said:
    """One chat message: when, and whether the coach sent it."""

    at: datetime
    by_coach: bool


def chat_waits(room: Iterable[Said]) -> list[float]:
    """Seconds the coach took to answer, one room's messages in `seq` order."""
    waits: list[float] = []
    waiting_since: datetime | None = None
    for message in room:
        if not message.by_coach:
            if waiting_since is None:
                waiting_since = message.at
        elif waiting_since is not None:
            waits.append(max(0.0, (message.at - waiting_since).total_seconds()))
            waiting_since = None
    return waits


@dataclass(frozen=True)
class Visit:
    """A booking of a client: who, and its booked time."""

    client: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Retention:
    retained: int
    clients: int

    @property
    def rate(self) -> float | None:
        return None if self.clients == 0 else self.retained / self.clients


def retention(
    completed: Iterable[Visit], later: Iterable[Visit], window: timedelta = RETENTION_WINDOW
) -> Retention:
    """Clients of `completed` (the period's completed sessions) with a booking of `later`
    (their bookings that count as one) starting after one of those sessions' end, within
    `window` of it."""
    ends: dict[Hashable, list[datetime]] = defaultdict(list)
    for visit in completed:
        ends[visit.client].append(visit.end)
    starts: dict[Hashable, list[datetime]] = defaultdict(list)
    for visit in later:
        starts[visit.client].append(visit.start)
    retained = sum(
        1
        for client, finished in ends.items()
        if any(end <= start <= end + window for end in finished for start in starts[client])
    )
    return Retention(retained, len(ends))


@dataclass(frozen=True)
class Average:
    label: str
    average: float | None
    count: int


def average(total: int, count: int) -> float | None:
    """A rating average to two decimals, or None with nothing rated."""
    return None if count == 0 else round(total / count, 2)


def monthly_average(ratings: Iterable[tuple[str, int]], labels: Sequence[str]) -> list[Average]:
    """Each month's average of (month label, rating) pairs, for every label, in order."""
    totals: dict[str, list[int]] = {label: [0, 0] for label in labels}
    for label, rating in ratings:
        if label in totals:
            totals[label][0] += rating
            totals[label][1] += 1
    return [Average(label, average(*totals[label]), totals[label][1]) for label in labels]
