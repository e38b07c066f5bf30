"""A coach's own calendars: their busy time blocks slots here, and failures are shown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from booking.storage.calendar_imports import ImportedBusy, ImportedCalendar
from realtime.audit import AuditRow
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.api.test_payment import pro
from tests.booking.api.test_slots import clock_times, get_slots
from tests.booking.support import Caller, Client, problem
from tests.support.clock import FakeClock
from tests.support.radicale import PASSWORD, USER, Radicale, radicale
from tests.support.stacks import Stack

__all__ = ["pro"]  # the fixture, shared

CALENDARS = "/api/coaches/me/calendars"

# Tuesdays 10:00-11:00 in New York, twice (the 3rd and the 10th of March 2026), and a Tuesday
# afternoon shown as free: what the events are must never be stored.
BUSY_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260301T000000Z\r\n"
    "DTSTART;TZID=America/New_York:20260303T100000\r\n"
    "DTEND;TZID=America/New_York:20260303T110000\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=2\r\nSUMMARY:Dentist (private)\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:free@test\r\nDTSTAMP:20260301T000000Z\r\n"
    "DTSTART;TZID=America/New_York:20260303T140000\r\n"
    "DTEND;TZID=America/New_York:20260303T150000\r\n"
    "TRANSP:TRANSPARENT\r\nSUMMARY:Maybe\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)

# The same busy Tuesdays in UTC, as a CalDAV client would store them (no VTIMEZONE needed).
CALDAV_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:caldav-weekly@test\r\nDTSTAMP:20260301T000000Z\r\n"
    "DTSTART:20260303T150000Z\r\nDTEND:20260303T160000Z\r\n"
    "RRULE:FREQ=WEEKLY;COUNT=2\r\nSUMMARY:Supervision (private)\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


class CalendarServer:
    """A real HTTP server on 127.0.0.1 serving whatever `body` is now."""

    def __init__(self) -> None:
        self.body = BUSY_ICS.encode()
        self.status = 200
        self.base = ""


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    return stack.settings_for(tmp_path, calendar_allow_private_addresses=True)


@pytest.fixture
async def ics_server() -> AsyncIterator[CalendarServer]:
    served = CalendarServer()

    async def calendar(_: web.Request) -> web.Response:
        return web.Response(body=served.body, status=served.status, content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/secret-token/basic.ics", calendar)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served.base = f"http://127.0.0.1:{port}"
    yield served
    await runner.cleanup()


async def add(client: Client, coach: Caller, url: str) -> Any:
    return await client.post(
        CALENDARS, json={"kind": "ical", "url": url, "label": "Personal"}, headers=coach.headers
    )


async def test_busy_time_of_an_ical_url_blocks_slots_and_nothing_else_is_kept(
    client: Client, services: Services, pro: tuple[Caller, str], ics_server: CalendarServer
) -> None:
    coach, coach_id = pro
    before = clock_times(await get_slots(client, coach_id))
    assert "10:00" in before
    assert "14:00" in before
    response = await add(client, coach, f"{ics_server.base}/secret-token/basic.ics")
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["status"] == "ok"
    assert body["busy_count"] == 2
    assert body["host"] == "127.0.0.1"
    after = clock_times(await get_slots(client, coach_id))
    assert "10:00" not in after
    assert "09:00" in after
    assert "14:00" in after  # shown as free there
    async with services.db.session() as session:
        (row,) = (await session.scalars(select(ImportedCalendar))).all()
        busy = (await session.scalars(select(ImportedBusy))).all()
        actions = set(await session.scalars(select(AuditRow.action)))
    assert b"secret-token" not in row.source  # the URL is sealed
    assert len(busy) == 2
    assert "imported_calendar.add" in actions
    listed = await client.get(CALENDARS, headers=coach.headers)
    assert [c["id"] for c in (await listed.json())["calendars"]] == [body["id"]]


async def test_a_failing_refresh_is_reported_and_keeps_the_last_busy_time(
    client: Client, clock: FakeClock, pro: tuple[Caller, str], ics_server: CalendarServer
) -> None:
    coach, coach_id = pro
    created = await (await add(client, coach, f"{ics_server.base}/secret-token/basic.ics")).json()
    ics_server.status = 500
    soon = await client.post(f"{CALENDARS}/{created['id']}/refresh", headers=coach.headers)
    assert (await soon.json())["status"] == "ok"  # read moments ago: not read again yet
    clock.advance(31)
    refreshed = await client.post(f"{CALENDARS}/{created['id']}/refresh", headers=coach.headers)
    assert refreshed.status == 200, await refreshed.text()
    body = await refreshed.json()
    assert body["status"] == "failing"
    assert "HTTP 500" in body["last_error"]
    assert body["last_success_at"] == created["last_success_at"]
    assert "10:00" not in clock_times(await get_slots(client, coach_id))
    ics_server.status, ics_server.body = 200, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    clock.advance(31)
    again = await (
        await client.post(f"{CALENDARS}/{created['id']}/refresh", headers=coach.headers)
    ).json()
    assert again["status"] == "ok"
    assert again["last_error"] is None
    assert again["busy_count"] == 0
    assert "10:00" in clock_times(await get_slots(client, coach_id))


async def test_the_job_refreshes_calendars_read_long_enough_ago(
    client: Client,
    services: Services,
    clock: FakeClock,
    pro: tuple[Caller, str],
    ics_server: CalendarServer,
) -> None:
    coach, coach_id = pro
    await add(client, coach, f"{ics_server.base}/secret-token/basic.ics")
    imports = services.scheduling.imports
    assert await imports.refresh_due() == 0  # just read
    ics_server.body = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    clock.advance(31 * 60)
    assert await imports.refresh_due() == 1
    assert "10:00" in clock_times(await get_slots(client, coach_id))


async def test_bad_calendars_are_refused_with_a_reason_and_nothing_is_stored(
    client: Client, services: Services, pro: tuple[Caller, str], ics_server: CalendarServer
) -> None:
    coach = pro[0]
    ics_server.body = b"<html>not a calendar</html>"
    cases = {
        f"{ics_server.base}/secret-token/basic.ics": "calendar_malformed",
        f"{ics_server.base}/missing.ics": "calendar_unreachable",
        "http://127.0.0.1:9/closed.ics": "calendar_unreachable",
        "ftp://example.com/cal.ics": "calendar_malformed",
        "not a url at all": "calendar_malformed",
    }
    for url, code in cases.items():
        response = await add(client, coach, url)
        body = await problem(response, 422)
        assert body["code"] == code, (url, body)
        assert body["detail"]
    async with services.db.session() as session:
        assert (await session.scalars(select(ImportedCalendar))).all() == []


async def test_deleting_a_calendar_frees_its_time(
    client: Client, pro: tuple[Caller, str], ics_server: CalendarServer
) -> None:
    coach, coach_id = pro
    created = await (await add(client, coach, f"{ics_server.base}/secret-token/basic.ics")).json()
    gone = await client.delete(f"{CALENDARS}/{created['id']}", headers=coach.headers)
    assert gone.status == 204
    assert "10:00" in clock_times(await get_slots(client, coach_id))
    again = await client.delete(f"{CALENDARS}/{created['id']}", headers=coach.headers)
    assert (await problem(again, 404))["code"] == "calendar_not_found"


@pytest.fixture(scope="module")
def caldav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def caldav_body(server: Radicale, password: str = PASSWORD) -> dict[str, str]:
    return {
        "kind": "caldav",
        "url": server.calendar_url,
        "username": USER,
        "password": password,
        "label": "Practice",
    }


async def test_busy_time_of_a_caldav_calendar_blocks_slots(
    client: Client, services: Services, pro: tuple[Caller, str], caldav_server: Radicale
) -> None:
    coach, coach_id = pro
    event = caldav_server.calendar().save_event(CALDAV_ICS)
    try:
        response = await client.post(
            CALENDARS, json=caldav_body(caldav_server), headers=coach.headers
        )
        assert response.status == 201, await response.text()
        body = await response.json()
        assert body["kind"] == "caldav"
        assert body["busy_count"] == 2
        assert "10:00" not in clock_times(await get_slots(client, coach_id))
        async with services.db.session() as session:
            row = (await session.scalars(select(ImportedCalendar))).one()
        assert PASSWORD.encode() not in row.source
    finally:
        event.delete()


async def test_a_caldav_login_that_fails_is_refused_and_nothing_is_stored(
    client: Client, services: Services, pro: tuple[Caller, str], caldav_server: Radicale
) -> None:
    coach = pro[0]
    response = await client.post(
        CALENDARS, json=caldav_body(caldav_server, "wrong"), headers=coach.headers
    )
    assert (await problem(response, 422))["code"] == "calendar_login_failed"
    no_user = {**caldav_body(caldav_server), "username": ""}
    response = await client.post(CALENDARS, json=no_user, headers=coach.headers)
    assert (await problem(response, 422))["code"] == "validation_failed"
    async with services.db.session() as session:
        assert (await session.scalars(select(ImportedCalendar))).all() == []
