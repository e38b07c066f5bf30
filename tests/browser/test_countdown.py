"""The room counts down on the server's clock, shows the server's warning and ends at the
server's hard stop (a session ending about 40 s from now; the test server warns 8 s before the
end and stops 3 s after it)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from realtime.demo import CLIENT_EMAIL
from tests.browser.conftest import OpenPage, log_in, shot
from tests.browser.sessions import open_session
from tests.browser.test_room import enter
from tests.realtime.test_cli import Server


@pytest.mark.timeout(120)
def test_the_room_warns_and_ends_on_the_servers_clock(open_page: OpenPage, server: Server) -> None:
    session = open_session(
        server.log.parent, "phone", coach_number=6, ends_in=timedelta(seconds=40)
    )
    client = open_page("client")
    log_in(client, CLIENT_EMAIL)
    enter(client, session.booking_id, "Check microphone")
    countdown = client.get_by_role("timer")
    expect(countdown).to_have_text(re.compile(r"^0:[0-3]\d left$"), timeout=15_000)

    warning = client.get_by_role("alert")
    expect(warning).to_have_text("8 seconds left in this session.", timeout=40_000)
    shot(client, "room-warning")
    expect(client.get_by_role("heading", name="The session has ended")).to_be_visible(
        timeout=20_000
    )
    expect(client.get_by_role("status")).to_contain_text("The session time is over.")
