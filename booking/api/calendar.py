"""A booking as an iCalendar event (booking step 4)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, timedelta

import icalendar
from aiohttp import web

from booking.api.bookings import party
from booking.api.scheduling import SCHEDULING
from booking.services.calendar import CalendarEntry
from realtime.auth.access import require
from realtime.http import ApiRoutes, NoInput, uuid_param

routes = ApiRoutes(tag="bookings")

CONTENT_TYPE = "text/calendar"


@routes.get(
    "/api/bookings/{id}/calendar.ics",
    summary="A booking as a calendar event",
    responses={200: CONTENT_TYPE},
    errors=(404, 409),
)
async def calendar_event(request: web.Request, _: NoInput) -> web.StreamResponse:
    """An iCalendar file for the booking's client or coach: the session in UTC, named after
    the other party, with a link to the session (under `PUBLIC_URL`) and nothing private. A
    canceled booking gives a cancellation (`METHOD:CANCEL`, `STATUS:CANCELLED`); a held or
    expired one is 409 `booking_not_confirmed`."""
    caller = await require(request)
    entry = await request.app[SCHEDULING].calendar.entry(party(caller), uuid_param(request))
    return web.Response(
        body=ics(entry),
        content_type=CONTENT_TYPE,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="flourish-{entry.booking_id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


def plain(text: str) -> str:
    """`text` without control or format characters (Unicode categories Cc, Cf: line breaks,
    NUL, bidirectional overrides, zero-width joiners), each replaced by a space: a display name
    can neither break the file's lines nor make the summary read differently from what it says."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf") else c for c in text)
    return " ".join(kept.split())


def ics(entry: CalendarEntry) -> bytes:
    """The iCalendar (RFC 5545) text of one entry."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Flourish//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if entry.canceled else "PUBLISH")
    calendar.add_component(event(entry))
    text: bytes = calendar.to_ical()
    return text


def feed_ics(entries: list[CalendarEntry]) -> bytes:
    """A subscription calendar (RFC 5545, `METHOD:PUBLISH`) of many entries; canceled ones stay
    in it as `STATUS:CANCELLED` so subscribed calendars drop them."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Flourish//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Flourish sessions")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for entry in entries:
        calendar.add_component(event(entry))
    text: bytes = calendar.to_ical()
    return text


def event(entry: CalendarEntry) -> icalendar.Event:
    """One entry as a VEVENT: the session in UTC, named after the other party."""
    event = icalendar.Event()
    event.add("uid", f"{entry.booking_id}@flourish")
    event.add("dtstamp", entry.stamp.astimezone(UTC))
    event.add("dtstart", entry.starts_at.astimezone(UTC))
    event.add("dtend", entry.ends_at.astimezone(UTC))
    event.add("sequence", entry.sequence)
    event.add("summary", plain(f"Flourish {entry.session_type} session with {entry.with_name}"))
    event.add("url", plain(entry.url))
    event.add("status", "CANCELLED" if entry.canceled else "CONFIRMED")
    return event
