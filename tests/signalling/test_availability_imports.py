"""Busy time imported from a coach's own calendar reaches viewers at once (`slots:changed`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from realtime.wiring import Services
from tests.booking.api.test_calendar_imports import (
    CALENDARS,
    CalendarServer,
    ics_server,
    settings,
)
from tests.booking.support import Caller, Client, listed_coach
from tests.signalling.test_availability import WEEKDAYS, admin
from tests.signalling.viewers import Viewer

__all__ = ["admin", "ics_server", "settings"]  # the fixtures, shared


async def test_importing_and_dropping_a_calendar_tell_viewers(
    client: Client,
    services: Services,
    admin: Caller,
    ics_server: CalendarServer,
    viewers: Callable[..., Awaitable[Viewer]],
) -> None:
    coach, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    viewer = await viewers()
    await viewer.watch(coach_id)
    added = await client.post(
        CALENDARS,
        json={"kind": "ical", "url": f"{ics_server.base}/secret-token/basic.ics"},
        headers=coach.headers,
    )
    assert added.status == 201, await added.text()
    told = await viewer.next_change()
    assert told["coach_id"] == coach_id
    assert told["reason"] == "imported"
    assert told["start"] == "2026-03-03T15:00:00Z"  # the first busy hour (10:00 in New York)
    calendar_id = (await added.json())["id"]
    dropped = await client.delete(f"{CALENDARS}/{calendar_id}", headers=coach.headers)
    assert dropped.status == 204
    assert (await viewer.next_change())["reason"] == "imported"
