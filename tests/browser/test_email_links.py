"""The emailed links, end to end in the demo: a new client registers in the UI, opens the
verification link that `flourish serve --demo` wrote to its log, then resets the password
through the forgot-password page and the reset link, and logs in with the new one."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenPage, log_in, shot
from tests.realtime.test_cli import Server

EMAIL = "nora.quinn@example.com"
FIRST = "first long passphrase here"
SECOND = "second long passphrase here"


def link_in_log(server: Server, path: str, seen: int) -> str:
    """The `seen`+1-th link to `path` the server logged (the outbox runs every 5 s)."""
    pattern = re.compile(rf"http://127\.0\.0\.1:{server.port}{path}\?token=[\w\-%]+")
    for _ in range(150):
        found = pattern.findall(server.log.read_text())
        if len(found) > seen:
            return str(found[seen])
        time.sleep(0.1)
    raise AssertionError(f"no {path} link in the server's log")


@pytest.mark.timeout(90)
def test_verify_then_reset_the_password_from_the_logged_links(
    open_page: OpenPage, server: Server
) -> None:
    verified_before = len(re.findall("/verify-email", server.log.read_text()))
    resets_before = len(re.findall("/reset-password", server.log.read_text()))
    page = open_page("client")
    page.goto("/register")
    page.get_by_label("Your name").fill("Nora Quinn")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(FIRST)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(lambda url: url.endswith("/"))

    page.goto(link_in_log(server, "/verify-email", verified_before))
    expect(page.get_by_text("Your address is confirmed")).to_be_visible()
    shot(page, "email-verified")

    other = open_page("forgetful")
    other.goto("/login")
    other.get_by_role("link", name="Forgot your password?").click()
    other.get_by_label("Email").fill(EMAIL)
    other.get_by_role("button", name="Email me a link").click()
    expect(other.get_by_text("a reset link is on its way")).to_be_visible()
    other.goto(link_in_log(server, "/reset-password", resets_before))
    other.get_by_label("New password", exact=True).fill(SECOND)
    other.get_by_role("button", name="Set the new password").click()
    expect(other.get_by_text("Your password is changed")).to_be_visible()
    log_in(other, EMAIL, SECOND)
