"""A client finds a coach with the directory's filters and books a slot end to end with the
demo payment provider, while a second browser viewing the same coach sees that slot go."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from realtime.demo import CLIENT_EMAIL
from tests.browser.conftest import PHONE, OpenPage, api, log_in, shot

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}


def bookable_coach(base_url: str) -> dict[str, Any]:
    """A coach offering video first, in a language we can name, with free slots this week."""
    today = datetime.now(UTC).date()  # noqa: TID251 (the real server runs on the real clock)
    coaches = api(base_url, "/api/coaches?session_type=video&limit=50")["items"]
    for coach in coaches:
        first = coach["session_types"][0]
        if first["session_type"] != "video" or not coach["specialties"]:
            continue
        if not set(coach["languages"]) & set(LANGUAGE_NAMES):
            continue
        window = f"from={today}&to={today + timedelta(days=7)}&tz=UTC"
        offer = f"session_type=video&duration={first['durations'][0]}"
        slots = api(base_url, f"/api/coaches/{coach['id']}/slots?{window}&{offer}")["slots"]
        # The last one, booked below, must be 2 days ahead: far enough to move it.
        later = datetime.now(UTC) + timedelta(days=2)  # noqa: TID251
        if len(slots) >= 2 and datetime.fromisoformat(slots[-1]["start"]) > later:
            return dict(coach)
    raise AssertionError("no demo coach with free video slots this week")


@pytest.mark.timeout(90)
def test_client_filters_books_and_pays_while_a_viewer_sees_the_slot_go(
    open_page: OpenPage, base_url: str
) -> None:
    coach = bookable_coach(base_url)
    specialty = coach["specialties"][0]["name"]
    language = next(LANGUAGE_NAMES[code] for code in coach["languages"] if code in LANGUAGE_NAMES)

    viewer = open_page("viewer", viewport=PHONE)
    viewer.goto(f"/coaches/{coach['id']}")
    expect(viewer.locator("button.slot").first).to_be_visible()
    shot(viewer, "coach-profile-phone")

    client = open_page("client")
    log_in(client, CLIENT_EMAIL)
    filters = client.get_by_role("search", name="Filter coaches")
    filters.get_by_label(specialty, exact=True).check()
    filters.get_by_label(language, exact=True).check()
    filters.get_by_label("Session type").select_option("video")
    filters.get_by_label("Sort by").select_option("rating")
    filters.get_by_role("button", name="Search").click()
    client.wait_for_url("**/?*specialty=*")
    card = client.get_by_role("link", name=coach["display_name"])
    expect(card).to_be_visible()
    expect(client.get_by_role("status").filter(has_text="coach")).to_be_visible()
    shot(client, "directory-filtered")
    card.click()

    expect(client.get_by_role("heading", name=coach["display_name"])).to_be_visible()
    for section in ("Credentials", "Reviews", "Rates", "Languages", "Specialties"):
        expect(client.get_by_role("heading", name=section, exact=True)).to_be_visible()
    slot = client.locator("button.slot").last
    expect(slot).to_be_visible()
    shot(client, "coach-profile")
    start = slot.get_attribute("data-start")
    assert start
    same_on_viewer = viewer.locator(f'button.slot[data-start="{start}"]')
    expect(same_on_viewer).to_have_count(1)
    viewer.evaluate("window.notReloaded = true")

    slot.focus()  # by keyboard: slots are buttons
    client.keyboard.press("Enter")
    client.wait_for_url("**/book/*")
    booking_id = client.url.rsplit("/", 1)[-1]
    # The viewer's page drops the slot on `slots:changed`, without a reload.
    expect(same_on_viewer).to_have_count(0)
    assert viewer.evaluate("window.notReloaded") is True

    expect(client.get_by_role("list", name="Booking steps")).to_be_visible()
    client.get_by_label("What would you like to work on?").fill("Arguing less about chores")
    shot(client, "booking-details")
    client.get_by_role("button", name="Continue to payment").click()
    pay = client.get_by_role("button", name="Pay")
    expect(pay).to_be_visible()
    expect(client.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    # The cancellation policy in this booking's money, before paying.
    policy = client.get_by_test_id("cancellation-policy")
    expect(policy).to_contain_text("free cancellation until")
    expect(policy).to_contain_text("50% (")
    shot(client, "booking-payment")
    client.get_by_label("Card number").press("Enter")  # submits the form

    expect(client.get_by_role("heading", name="You're booked")).to_be_visible()
    shot(client, "booking-confirmed")
    with client.expect_download() as download:
        client.get_by_role("button", name="Add to calendar (.ics)").click()
    path = download.value.path()
    assert "BEGIN:VCALENDAR" in path.read_text()

    client.get_by_role("link", name="My sessions").first.click()
    booked = client.locator(f'li.booking[data-booking="{booking_id}"]')
    expect(booked).to_contain_text(coach["display_name"])
    # Times name the viewer's zone (the browser runs in UTC here), the range's once.
    expect(booked).to_contain_text(re.compile(r"\d:\d\d\s*\u2013\s*\d{1,2}:\d\d( [AP]M)? UTC"))
    shot(client, "my-sessions")
    client.set_viewport_size(PHONE)
    shot(client, "my-sessions-phone")

    # Move it to another free time, then cancel it: the refund is shown before confirming.
    # The same week picker as booking, on the session's own week.
    booked.get_by_role("button", name="Reschedule").click()
    picker = booked.locator(".reschedule")
    expect(picker.get_by_role("button", name="Later week")).to_be_visible()
    other = picker.locator(f'button.slot:not([data-start="{start}"])').first
    expect(other).to_be_visible()
    other.click()
    expect(picker.locator(".chosen")).to_contain_text("New time")
    shot(client, "reschedule-picker-phone")
    booked.get_by_role("button", name="Move session").click()
    expect(client.get_by_text("Session moved.")).to_be_visible()
    expect(same_on_viewer).to_have_count(1)  # the old time is free again, live
    booked.get_by_role("button", name="Cancel").click()
    dialog = client.get_by_role("dialog")
    expect(dialog.locator(".refund")).to_contain_text("refunded")
    dialog.get_by_label("Why are you canceling?").fill("Plans changed")
    shot(client, "cancel-dialog-phone")
    dialog.get_by_role("button", name="Cancel session").click()
    expect(client.get_by_text("Session canceled.")).to_be_visible()
