"""The coach's and the admin's main screens as a phone shows them: nothing wider than the
screen (the earnings tables become cards), headings in order, accessible (the screenshots'
scan), and the directory's skip link lands on the results."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from realtime.demo import ADMIN_EMAIL, COACH_EMAIL
from tests.browser.conftest import PHONE, OpenPage, log_in, shot

# A pixel of slack: scrollWidth rounds a layout of fractional widths up.
WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth > window.innerWidth + 1"


def fits(page: Page) -> None:
    assert page.evaluate(WIDER_THAN_THE_SCREEN) is False


@pytest.mark.timeout(60)
def test_the_coach_dashboard_and_admin_fit_a_phone(open_page: OpenPage) -> None:
    coach = open_page("coach", viewport=PHONE)
    log_in(coach, COACH_EMAIL, then="/coach")
    earnings = coach.locator("table.earnings").last
    expect(earnings).to_be_visible()
    expect(earnings).to_contain_text("net")  # each amount labelled in its card
    fits(coach)
    shot(coach, "coach-dashboard-phone")

    coach.goto("/sessions")
    expect(coach.get_by_role("heading", level=2).first).to_be_visible()
    fits(coach)
    shot(coach, "coach-sessions-phone")

    admin = open_page("admin", viewport=PHONE)
    log_in(admin, ADMIN_EMAIL, then="/admin")
    expect(admin.get_by_role("heading", name="Commission tiers")).to_be_visible()
    fits(admin)
    shot(admin, "admin-phone")


@pytest.mark.timeout(60)
def test_the_directorys_skip_link_reaches_the_results(open_page: OpenPage) -> None:
    page = open_page("visitor")
    page.goto("/")
    first = page.get_by_role("list", name="Coaches").locator("li").first
    expect(first).to_be_visible()
    expect(first.locator(".next-free")).to_contain_text("Next available:")  # the card's hint
    page.keyboard.press("Tab")  # from the heading, where the page puts the focus
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("list", name="Coaches")).to_be_focused()
