"""When a session's reminders fall due: the rulebook the reminder rows are written from.

Each participant of a confirmed session gets a reminder `LEADS` before it starts (24 hours and
1 hour). A reminder whose due time is already past when the booking is confirmed or moved is
not written: a booking made 5 hours ahead gets only the 1-hour reminder, one made 30 minutes
ahead gets none. The due times are UTC instants, so a daylight-saving change between the
booking and the session moves nothing: 24 hours before is 24 elapsed hours before, and the
email shows that instant in each reader's own zone.

`schedule` is what the confirm and reschedule transactions store (a reschedule withdraws the
old rows and writes the new schedule in the same transaction); a cancel writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Lead(StrEnum):
    """How long before the start a reminder is sent; the value names it in rows and emails."""

    DAY = "24h"
    HOUR = "1h"


LEADS: dict[Lead, timedelta] = {Lead.DAY: timedelta(hours=24), Lead.HOUR: timedelta(hours=1)}


class Recipient(StrEnum):
    COACH = "coach"
    CLIENT = "client"


@dataclass(frozen=True, order=True)
class Reminder:
    due_at: datetime  # UTC
    lead: Lead
    recipient: Recipient


def schedule(starts_at: datetime, now: datetime) -> list[Reminder]:
    """The reminders still to send for a session starting at `starts_at`, earliest first.

    A reminder is kept only if its due time is strictly after `now`; both instants must be
    aware (a naive datetime is a programming error, not a guess at a zone). The start is
    taken to UTC first: arithmetic on a datetime in a zone with DST is wall-clock arithmetic,
    so 24 hours before a Berlin 10:00 the day after spring-forward would be 23 real hours.
    """
    if starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("reminder times must be timezone-aware")
    starts_at = starts_at.astimezone(UTC)
    due = [(starts_at - gap, lead) for lead, gap in LEADS.items() if starts_at - gap > now]
    return sorted(
        Reminder(due_at, lead, recipient) for due_at, lead in due for recipient in Recipient
    )


def local_time(instant: datetime, zone: str) -> str:
    """`instant` as the reader sees it in their IANA `zone`, e.g. "Tue 3 Mar 2026, 10:00 CET".

    The zone's abbreviation is named because the reader may have travelled since they set it.
    """
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"
