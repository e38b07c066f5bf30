"""A coach's profile as a visitor meets it: the booking picker near the top on a phone, no week
before this one, every review a page at a time, and a slot picked before logging in held after
the login."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE, OpenPage, api, log_in, shot


def reviewed_coach(base_url: str) -> dict[str, Any]:
    """A coach with more reviews than a profile shows and free video slots this week (the
    best-rated last, so the booking test's coach is not this one)."""
    today = datetime.now(UTC).date()  # noqa: TID251 (the real server runs on the real clock)
    coaches = api(base_url, "/api/coaches?session_type=video&limit=50")["items"]
    for coach in reversed(coaches):
        first = coach["session_types"][0]
        if first["session_type"] != "video" or coach["rating"]["count"] <= 5:
            continue
        window = f"from={today}&to={today + timedelta(days=7)}&tz=UTC"
        offer = f"session_type=video&duration={first['durations'][0]}"
        if api(base_url, f"/api/coaches/{coach['id']}/slots?{window}&{offer}")["slots"]:
            return dict(coach)
    raise AssertionError("no demo coach with six reviews and free video slots this week")


def api_as_client(base_url: str, booking_id: str) -> Any:
    login = {"email": CLIENT_EMAIL, "password": DEMO_PASSWORD}
    request = urllib.request.Request(
        f"{base_url}/api/auth/login",
        data=json.dumps(login).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token = json.loads(response.read())["tokens"]["access_token"]
    request = urllib.request.Request(
        f"{base_url}/api/bookings/{booking_id}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.timeout(90)
def test_a_visitor_picks_a_slot_logs_in_and_has_it_held(open_page: OpenPage, base_url: str) -> None:
    coach = reviewed_coach(base_url)
    page = open_page("visitor", viewport=PHONE)
    page.goto(f"/coaches/{coach['id']}")
    slot = page.locator("button.slot").first
    expect(slot).to_be_visible()
    expect(page.locator(".next-free")).to_contain_text("Next available:")
    # On a phone the picker is within the first two screens, not below the whole profile.
    box = page.get_by_role("heading", name="Book a session").bounding_box()
    assert box is not None
    assert box["y"] < 2 * PHONE["height"], box
    expect(page.get_by_role("button", name="Earlier week")).to_be_disabled()
    expect(page.get_by_role("button", name="Later week")).to_be_enabled()
    shot(page, "profile-phone-picker")

    reviews = page.locator("li.review")
    expect(reviews).to_have_count(5)
    page.get_by_role("button", name="More reviews").click()
    expect(reviews).to_have_count(min(coach["rating"]["count"], 25))

    start = slot.get_attribute("data-start")
    assert start
    slot.click()  # not logged in: to the login, and back
    page.wait_for_url("**/login?next=*")
    page.get_by_label("Email").fill(CLIENT_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/book/"))
    expect(page.get_by_role("list", name="Booking steps")).to_be_visible()
    expect(page.locator(".booking-summary")).to_contain_text(coach["display_name"])
    booking = api_as_client(base_url, urlsplit(page.url).path.rsplit("/", 1)[1])
    assert (booking["status"], booking["starts_at"]) == ("held", start.replace("+00:00", "Z"))


@pytest.mark.timeout(60)
def test_past_and_canceled_sessions_offer_book_again(open_page: OpenPage) -> None:
    page = open_page("client")
    log_in(page, CLIENT_EMAIL, then="/sessions")
    upcoming = page.locator("li.booking")
    expect(upcoming.first).to_be_visible()
    for status in page.locator("li.booking").evaluate_all("els => els.map(e => e.dataset.status)"):
        assert status in ("held", "confirmed", "in_progress"), status  # nothing canceled here
    page.get_by_role("link", name="Past").click()
    # A completed session tells its outcome and, opened, the attendance it was decided from.
    completed = page.locator('li.booking[data-status="completed"]').first
    attendance = completed.locator("details.attendance")
    expect(attendance).to_contain_text("Completed: you were both there.")
    attendance.locator("summary").click()
    expect(attendance).to_contain_text("Together for")
    canceled = page.locator('li.booking[data-status="canceled_by_client"]').first
    expect(canceled).to_be_visible()
    again = canceled.get_by_role("link", name="Book again")
    href = again.get_attribute("href")
    assert href
    again.click()
    page.wait_for_url(lambda url: urlsplit(url).path.startswith("/coaches/"))
    query = dict(p.split("=") for p in urlsplit(href).query.split("&"))
    expect(page.get_by_label("Session type")).to_have_value(query["session_type"])
    expect(page.get_by_label("Length")).to_have_value(query["duration"])
    shot(page, "book-again")


@pytest.mark.timeout(60)
def test_a_client_saves_a_coach_and_finds_them_again(open_page: OpenPage, base_url: str) -> None:
    coach = reviewed_coach(base_url)
    page = open_page("client")
    log_in(page, CLIENT_EMAIL)
    page.goto(f"/coaches/{coach['id']}")
    save = page.get_by_role("button", name="Save coach")
    expect(save).to_have_attribute("aria-pressed", "false")
    save.click()
    expect(page.get_by_role("button", name="Saved ✓")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Saved coaches").click()
    saved = page.get_by_role("list", name="Saved coaches")
    expect(saved.get_by_role("link", name=coach["display_name"])).to_be_visible()
    shot(page, "saved-coaches")
    saved.get_by_role("link", name=coach["display_name"]).click()
    page.get_by_role("button", name="Saved ✓").click()  # and forget them
    expect(page.get_by_role("button", name="Save coach")).to_be_visible()
    page.goto("/favourites")
    expect(page.get_by_text("No saved coaches yet.")).to_be_visible()
