"""What a session became, decided from its attendance: the booking's final status.

Each participant's attendance is a list of intervals [joined, left) in server time (UTC); a
participant still present has `left=None`, read as "until now". Every interval is clipped to
the booked time [start, end), and a participant's intervals are merged first, so a reconnect
or a second socket (the phone joining beside the browser) never counts twice.

The rules, in this order (`Rules` holds the two numbers, from settings):

1. completed: coach and client were there together for at least `together` of the booked
   time (default 0.5);
2. no_show_client: the coach was there within `grace` of the start (default 15 min: any
   presence in [start, start + grace)) and the client was not;
3. no_show_coach: the mirror of 2;
4. interrupted: anything else (both came late, or met too briefly); an admin resolves it.

`decide(attendance, now)` answers at the end of the session (or any time after).
`early(attendance, now)` answers a no-show already after start + grace, but only once the
session can no longer become completed: the one who never came could still meet the other for
`together` of the booked time if they joined now, so an early no-show is given only when less
than `together` of the booked time remains. Otherwise it answers None and the end decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from booking.policy.states import Status


@dataclass(frozen=True)
class Interval:
    joined: datetime
    left: datetime | None = None


@dataclass(frozen=True)
class Attendance:
    """A session's booked time and each side's presence in it."""

    start: datetime
    end: datetime
    coach: Sequence[Interval]
    client: Sequence[Interval]


@dataclass(frozen=True)
class Rules:
    together: float = 0.5
    grace: timedelta = timedelta(minutes=15)


Span = tuple[datetime, datetime]


def merged(
    intervals: Iterable[Interval], start: datetime, end: datetime, now: datetime
) -> list[Span]:
    """The intervals clipped to [start, min(end, now)), sorted and merged."""
    stop = min(end, now)
    spans = sorted((max(i.joined, start), min(i.left or stop, stop)) for i in intervals)
    out: list[Span] = []
    for a, b in spans:
        if a >= b:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def overlap(first: Sequence[Span], second: Sequence[Span]) -> timedelta:
    """The time both span lists cover."""
    total = timedelta()
    for a, b in first:
        for c, d in second:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                total += hi - lo
    return total


def _present_early(spans: Sequence[Span], start: datetime, rules: Rules) -> bool:
    return any(a < start + rules.grace for a, _ in spans)


def decide(attendance: Attendance, now: datetime, rules: Rules = Rules()) -> Status:
    """The outcome from the attendance so far (meant for `now >= end`)."""
    start, end = attendance.start, attendance.end
    coach_spans = merged(attendance.coach, start, end, now)
    client_spans = merged(attendance.client, start, end, now)
    if overlap(coach_spans, client_spans) >= (end - start) * rules.together:
        return Status.COMPLETED
    coach_came = _present_early(coach_spans, start, rules)
    client_came = _present_early(client_spans, start, rules)
    if coach_came and not client_came:
        return Status.NO_SHOW_CLIENT
    if client_came and not coach_came:
        return Status.NO_SHOW_COACH
    return Status.INTERRUPTED


def early(attendance: Attendance, now: datetime, rules: Rules = Rules()) -> Status | None:
    """A no-show decided before the end, or None: only once start + grace has passed and the
    session can no longer be completed, whatever happens from now on."""
    start, end = attendance.start, attendance.end
    if now < start + rules.grace or now >= end:
        return None
    if end - now >= (end - start) * rules.together:
        return None
    outcome = decide(attendance, now, rules)
    return outcome if outcome in (Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH) else None
