"""What an imported calendar makes busy: only start and end of each busy event, never its text.

`busy_intervals(ics, zone, start, end)` reads iCalendar text, expands recurring events (RRULE,
RDATE, EXDATE and moved occurrences, with the maintained `recurring-ical-events`) over
[`start`, `end`), and answers the busy intervals in UTC, sorted and merged. Events marked
`TRANSP:TRANSPARENT` (shown as free) or `STATUS:CANCELLED` block nothing. A floating time (no
zone) is read in the coach's zone; an all-day event blocks its whole local days in the coach's
zone. Text that is not iCalendar raises `NotICalendar`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

MAX_INTERVALS = 5000  # per calendar and refresh; more is refused as malformed


class NotICalendar(ValueError):
    """The text is not an iCalendar calendar we can read."""


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)


def merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, with overlapping or touching intervals joined."""
    out: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def busy_intervals(
    ics: bytes, zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    return merged(_busy(ics, zone, start, end))


def busy_of_all(
    objects: Iterable[bytes], zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The busy time of several iCalendar objects (a CalDAV calendar's events), merged."""
    found: list[tuple[datetime, datetime]] = []
    for ics in objects:
        found.extend(_busy(ics, zone, start, end))
        if len(found) > MAX_INTERVALS:
            raise NotICalendar(f"more than {MAX_INTERVALS} busy events in the horizon")
    return merged(found)


def _busy(
    ics: bytes, zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    try:
        calendar = icalendar.Calendar.from_ical(ics)
    except ValueError as exc:
        raise NotICalendar(f"not iCalendar: {str(exc)[:120]}") from exc
    if calendar.name != "VCALENDAR":
        raise NotICalendar("not iCalendar: no VCALENDAR")
    try:
        events = recurring_ical_events.of(calendar, components=["VEVENT"]).between(start, end)
    except Exception as exc:  # the library raises its own types for broken rules
        raise NotICalendar(f"unreadable event: {str(exc)[:120]}") from exc
    found: list[tuple[datetime, datetime]] = []
    for event in events:
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        begins = event.get("DTSTART")
        if begins is None:
            continue
        first = _instant(begins.dt, zone)
        finishes = event.get("DTEND")
        if finishes is not None:
            last = _instant(finishes.dt, zone)
        elif event.get("DURATION") is not None:
            last = first + event["DURATION"].dt
        elif isinstance(begins.dt, datetime):
            last = first  # an instant blocks nothing (RFC 5545 3.6.1)
        else:
            last = _instant(begins.dt + timedelta(days=1), zone)
        first, last = max(first, start), min(last, end)
        if last > first:
            found.append((first, last))
        if len(found) > MAX_INTERVALS:
            raise NotICalendar(f"more than {MAX_INTERVALS} busy events in the horizon")
    return found
