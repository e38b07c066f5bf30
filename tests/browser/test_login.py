"""A login lasts across tabs, reloads and links opened from an email or a calendar file: the
refresh token is an HttpOnly cookie no script reads, the access token lives in memory."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from realtime.demo import CLIENT_EMAIL
from tests.browser.conftest import OpenPage, log_in


@pytest.mark.timeout(60)
def test_a_login_lasts_across_tabs_and_reloads_and_ends_everywhere(open_page: OpenPage) -> None:
    first = open_page("first")
    log_in(first, CLIENT_EMAIL, then="/sessions")
    expect(first.get_by_role("heading", name="My sessions")).to_be_visible()
    # No script can read the refresh token, and no tab keeps tokens in its storage.
    assert "flourish_refresh" not in first.evaluate("document.cookie")
    stored = first.evaluate("JSON.stringify({...sessionStorage, ...localStorage})")
    assert "token" not in stored

    second = first.context.new_page()  # a link opened in a new tab
    second.goto("/sessions")
    expect(second.get_by_role("heading", name="My sessions")).to_be_visible()
    first.reload()
    expect(first.get_by_role("heading", name="My sessions")).to_be_visible()

    second.get_by_role("button", name="Log out").click()
    second.wait_for_url("**/")
    first.goto("/sessions")
    first.wait_for_url("**/login?next=%2Fsessions")
