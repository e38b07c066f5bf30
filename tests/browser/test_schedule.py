"""A coach sets up a real practice's availability in the browser: two ranges on a day, booking
rules with no horizon limit and a back-to-back grid, a closed date and its undoing, the private
sessions feed (which a calendar app then reads, and which stops working when turned off), and an
imported calendar read from an iCalendar address (with one that serves no calendar refused).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, OpenPage, log_in, shot
from tests.browser.sessions import demo_coach_login
from tests.browser.test_screens import fits
from tests.realtime.test_cli import Server


def today() -> date:
    return datetime.now(UTC).date()  # noqa: TID251 (the test server runs on real time)


def busy_ics() -> str:
    """Two busy hours next week (only their times are read, never their text)."""
    days = [today() + timedelta(days=n) for n in (5, 6)]
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{n}@test\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{d:%Y%m%d}T090000Z\r\nDTEND:{d:%Y%m%d}T100000Z\r\nSUMMARY:Private\r\n"
        "END:VEVENT\r\n"
        for n, d in enumerate(days)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n"


class Calendars(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        calendar = self.path == "/busy.ics"
        body = (busy_ics() if calendar else "<html><body>Not a calendar</body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar" if calendar else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def calendar_host() -> Iterator[str]:
    """A plain HTTP server on loopback serving one iCalendar file and one HTML page."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Calendars)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def feed_status(server: Server, url: str) -> int:
    """What a calendar app reading the feed address gets."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{server.port}{urlsplit(url).path}", timeout=10
        ) as response:
            assert b"BEGIN:VCALENDAR" in response.read()
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


@pytest.mark.timeout(90)
def test_a_coach_sets_up_availability_and_calendars(
    open_page: OpenPage, server: Server, calendar_host: str
) -> None:
    email = demo_coach_login(server.log.parent, 10)
    coach = open_page("coach")
    log_in(coach, email, then="/coach")

    # Weekly hours: an evening block beside Monday's day range.
    coach.get_by_label("Open on Monday").check()
    coach.get_by_role("button", name="Add hours on Monday").click()
    coach.get_by_label("Monday from (2)").fill("18:00")
    coach.get_by_label("Monday until (2)").fill("20:30")
    coach.get_by_role("button", name="Save weekly hours").click()
    expect(coach.get_by_text("Weekly hours saved.")).to_be_visible()

    # Rules: 90-minute grid, no limit on how far ahead.
    coach.get_by_label("Slot starts every").select_option("90")
    coach.get_by_label("No limit").check()
    coach.get_by_role("button", name="Save booking rules").click()
    expect(coach.get_by_text("Booking rules saved")).to_be_visible()

    # A closed date, then back to the week's hours.
    closed = (today() + timedelta(days=10)).isoformat()
    coach.get_by_label("Date", exact=True).fill(closed)
    coach.get_by_role("button", name="Save this date").click()
    overrides = coach.locator("ul.overrides")
    expect(overrides).to_contain_text("Closed")
    expect(overrides).to_contain_text(str(date.fromisoformat(closed).year))

    # The sessions feed: created, read by a "calendar app", turned off.
    coach.get_by_role("button", name="Create a feed address").click()
    address = coach.get_by_label("Feed address (shown only now)")
    expect(address).to_be_visible()
    url = address.input_value()
    assert "/api/calendar-feeds/" in url
    assert feed_status(server, url) == 200

    # An address that serves no calendar is refused and nothing is stored; a real one is read.
    coach.get_by_label("Calendar address").fill(f"{calendar_host}/page.html")
    coach.get_by_label("Name for it").fill("Wrong link")
    coach.get_by_role("button", name="Import calendar").click()
    expect(coach.get_by_role("alert").filter(has_text="iCalendar")).to_be_visible()
    imported = coach.get_by_role("list", name="Imported calendars")
    expect(imported).not_to_contain_text("Wrong link")
    coach.get_by_label("Calendar address").fill(f"{calendar_host}/busy.ics")
    coach.get_by_label("Name for it").fill("Practice calendar")
    coach.get_by_role("button", name="Import calendar").click()
    expect(imported).to_contain_text("Practice calendar")
    expect(imported).to_contain_text("2 busy times")
    shot(coach, "coach-availability")

    # All of it is there after a reload.
    coach.reload()
    expect(coach.get_by_label("Monday until (2)")).to_have_value("20:30")
    expect(coach.get_by_label("Slot starts every")).to_have_value("90")
    expect(coach.get_by_label("No limit")).to_be_checked()
    expect(coach.get_by_text("A feed address is active since")).to_be_visible()
    coach.get_by_role("button", name=f"Use weekly hours on {closed}").click()
    expect(coach.locator("ul.overrides")).to_contain_text("No dates with other hours.")
    coach.get_by_role("button", name="Turn the feed off").click()
    expect(coach.get_by_text("No feed address is active.")).to_be_visible()
    assert feed_status(server, url) == 404
    coach.get_by_role("button", name="Stop importing Practice calendar").click()
    expect(imported).to_contain_text("No calendars imported yet.")

    phone = open_page("coach-phone", viewport=PHONE)
    log_in(phone, email, then="/coach")
    expect(phone.get_by_role("heading", name="Booking rules")).to_be_visible()
    fits(phone)
    shot(phone, "coach-availability-phone")
