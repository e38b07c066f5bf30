"""The demo client in Chromium: the reminder of their next session waits in Notifications
(counted in the navigation), and their completed session is reviewed from My sessions,
anonymously by default, appearing on the coach's profile without their name."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from realtime.demo import CLIENT_EMAIL
from tests.browser.conftest import OpenPage, log_in, shot


@pytest.mark.timeout(90)
def test_a_client_is_reminded_and_reviews_a_completed_session_anonymously(
    open_page: OpenPage,
) -> None:
    page = open_page("client")
    log_in(page, CLIENT_EMAIL, then="/sessions")
    counted = page.get_by_role("link", name="Notifications 1 unread")
    expect(counted).to_be_visible()
    counted.click()
    expect(page.locator("li.notification.unread")).to_contain_text("Your session starts")
    shot(page, "notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()

    page.goto("/sessions?when=past")
    completed = page.locator('li.booking[data-status="completed"]').first
    completed.get_by_text("Review this session").click()
    completed.get_by_role("button", name="Post review").click()
    expect(completed.get_by_role("status")).to_contain_text("Choose 1 to 5 stars.")
    completed.get_by_label("4 stars").check()
    completed.get_by_label("What would you tell someone").fill("Calm, practical and kind.")
    completed.get_by_role("button", name="Post review").click()
    expect(completed).to_contain_text("Thank you. Your review is on")
    shot(page, "review-posted")

    completed.get_by_role("link", name="Book again").click()  # to the coach's profile
    review = page.locator("li.review", has_text="Calm, practical and kind.")
    expect(review).to_contain_text("Anonymous")
    expect(review).not_to_contain_text("Demo")
    expect(review.get_by_label("4 out of 5 stars")).to_be_visible()
    shot(page, "anonymous-review")
    page.goto("/sessions?when=past")  # a new page load: the review is kept, the form gone
    again = page.locator('li.booking[data-status="completed"]').first
    expect(again.get_by_text("Review this session")).to_have_count(0)
