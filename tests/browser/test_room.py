"""Coach and client meet in the session room: video both ways, recovery after a network drop,
audio only for a phone session, and both put out when the session is canceled."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE, PHONE_NUMBER, OpenPage, assert_labelled, log_in, say, shot
from tests.browser.sessions import open_session
from tests.realtime.test_cli import Server


def enter(page: Page, booking_id: str, check: str, screenshot: str = "") -> None:
    """The pre-join check, then join."""
    page.goto(f"/sessions/{booking_id}")
    # Through the test's coturn on 127.0.0.1: no media over the machine's other addresses.
    page.get_by_label("Always relay the call through our server", exact=False).check()
    page.get_by_role("button", name=check).click()
    join = page.get_by_role("button", name="Join session")
    expect(join).to_be_enabled()
    expect(page.locator(".network")).to_contain_text("media connections work", timeout=15_000)
    heard(page)
    if screenshot:
        shot(page, screenshot)
    else:
        assert_labelled(page)
    join.click()


def heard(page: Page) -> None:
    """The level meter moves: the fake microphone's beeps reach it."""
    for _ in range(80):  # 8 s
        if float(page.locator("meter").get_attribute("data-level") or 0) > 0:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the microphone level meter never moved")


def inbound(page: Page, kind: str) -> int:
    value = page.locator(".quality").get_attribute(f"data-inbound-{kind}-bytes")
    return int(value or 0)


def rising(page: Page, kind: str) -> None:
    """Inbound RTP bytes of `kind` (getStats, once a second) grow within a few seconds."""
    before = inbound(page, kind)
    for _ in range(16):  # 8 s
        page.wait_for_timeout(500)
        if inbound(page, kind) > before:
            return
    raise AssertionError(f"inbound {kind} bytes stuck at {before}")


def connected(page: Page) -> None:
    expect(page.locator("section.room")).to_have_attribute(
        "data-state", "connected", timeout=15_000
    )


@pytest.mark.timeout(120)
def test_video_call_both_ways_and_recovers_after_going_offline(
    open_page: OpenPage, server: Server
) -> None:
    session = open_session(server.log.parent, "video", coach_number=1)
    coach = open_page("coach")
    log_in(coach, session.coach_email, then="/coach")
    client = open_page("client", viewport=PHONE)
    log_in(client, CLIENT_EMAIL)

    enter(coach, session.booking_id, "Check camera and microphone", "room-check-desktop")
    expect(coach.locator("section.room")).to_have_attribute("data-state", "waiting")
    expect(coach.get_by_role("status").filter(has_text="Waiting for")).to_be_visible()
    shot(coach, "room-waiting")
    enter(client, session.booking_id, "Check camera and microphone", "room-check-phone")
    for page in (coach, client):
        connected(page)
        rising(page, "video")
        rising(page, "audio")
    expect(coach.get_by_role("button", name="Share screen")).to_be_visible()
    expect(client.get_by_role("button", name="Share screen")).to_have_count(0)
    # The chat beside the call; hidden, it counts what arrives.
    say(coach, "Can you see and hear me?")
    expect(client.locator(".chat [data-seq='1'] .text")).to_have_text("Can you see and hear me?")
    client.get_by_role("button", name="Hide chat").click()
    say(coach, "Take your time.")
    expect(client.get_by_role("button", name="Show chat")).to_contain_text("(1 unread)")
    expect(coach.locator(".chat [data-seq='2'] [data-receipt='sent']")).to_be_visible()
    client.get_by_role("button", name="Show chat").click()
    expect(coach.locator(".chat [data-seq='2'] [data-receipt='seen']")).to_be_visible()
    say(client, "Yes, all good.")
    expect(coach.locator(".chat [data-seq='3'] .text")).to_have_text("Yes, all good.")
    shot(coach, "room-call-desktop")
    shot(client, "room-call-phone")

    client.context.set_offline(True)
    expect(client.locator("section.room")).to_have_attribute("data-state", "reconnecting")
    shot(client, "room-reconnecting-phone")
    client.wait_for_timeout(1500)
    client.context.set_offline(False)
    for page in (client, coach):
        connected(page)
        rising(page, "video")
        rising(page, "audio")

    coach.get_by_role("button", name="Mute").click()
    expect(coach.get_by_role("button", name="Unmute")).to_have_attribute("aria-pressed", "true")
    # The other side sees it: a muted microphone said, a camera off shown as initials.
    expect(client.locator(".stage .mic-off")).to_be_visible()
    expect(client.locator(".stage .mic-off")).to_contain_text("microphone is off")
    client.get_by_role("button", name="Camera off").click()
    expect(coach.locator(".stage .camera-off")).to_be_visible()
    expect(coach.locator(".stage .camera-off")).to_contain_text("camera is off")
    shot(coach, "room-peer-camera-off")
    client.get_by_role("button", name="Camera on").click()
    expect(coach.locator(".stage .camera-off")).to_be_hidden()
    coach.get_by_role("button", name="Unmute").click()
    expect(client.locator(".stage .mic-off")).to_be_hidden()
    # The tab was in the call: a reload rejoins by itself, with no check to click.
    client.reload()
    expect(client.get_by_role("button", name="Check camera and microphone")).to_be_hidden()
    for page in (client, coach):
        connected(page)
        rising(page, "video")
    # "Seen" holds across visits: the coach read the client's message before the reload.
    expect(client.locator(".chat [data-seq='3'] [data-receipt='seen']")).to_be_visible()
    client.get_by_role("button", name="Leave").click()
    expect(client.get_by_role("heading", name="The session has ended")).to_be_visible()
    shot(client, "room-ended-phone")
    expect(coach.locator("section.room")).to_have_attribute("data-state", "waiting")
    # With nobody there, the quality line judges no connection.
    expect(coach.locator(".quality")).to_have_text("Connection: waiting")
    expect(coach.locator(".quality")).to_have_attribute("data-level", "unknown")
    coach.get_by_role("button", name="Leave").click()
    expect(coach.get_by_role("heading", name="The session has ended")).to_be_visible()


@pytest.mark.timeout(90)
def test_phone_session_is_audio_only(open_page: OpenPage, server: Server) -> None:
    session = open_session(server.log.parent, "phone", coach_number=2)
    coach = open_page("coach")
    log_in(coach, session.coach_email, then="/coach")
    client = open_page("client")
    log_in(client, CLIENT_EMAIL, then="/sessions")
    # The client can also call in: the number and their own PIN, on asking.
    dial = client.locator(f'li.booking[data-booking="{session.booking_id}"] details.dial-in')
    dial.locator("summary").click()
    expect(dial.get_by_role("link", name=PHONE_NUMBER)).to_have_attribute(
        "href", f"tel:{PHONE_NUMBER}"
    )
    expect(dial.locator(".pin")).to_have_text(re.compile(r"^\d{6}$"))

    for page in (coach, client):
        enter(page, session.booking_id, "Check microphone")
    for page in (coach, client):
        connected(page)
        rising(page, "audio")
        assert inbound(page, "video") == 0
        expect(page.locator("video")).to_have_count(0)
        expect(page.get_by_role("button", name="Camera off")).to_have_count(0)
    shot(client, "room-phone-call")
    for page in (client, coach):
        page.get_by_role("button", name="Leave").click()
        expect(page.get_by_role("heading", name="The session has ended")).to_be_visible()


def post(base_url: str, path: str, body: dict[str, Any], token: str = "") -> Any:
    request = urllib.request.Request(
        base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.timeout(90)
def test_a_canceled_session_closes_the_room_for_both(
    open_page: OpenPage, server: Server, base_url: str
) -> None:
    session = open_session(
        server.log.parent, "phone", coach_number=3, starts_in=timedelta(minutes=5)
    )
    coach = open_page("coach")
    log_in(coach, session.coach_email, then="/coach")
    client = open_page("client")
    log_in(client, CLIENT_EMAIL)
    for page in (coach, client):
        enter(page, session.booking_id, "Check microphone")
    for page in (coach, client):
        connected(page)

    login = {"email": session.coach_email, "password": DEMO_PASSWORD}
    token = post(base_url, "/api/auth/login", login)["tokens"]["access_token"]
    post(base_url, f"/api/bookings/{session.booking_id}/cancel", {"reason": "Ill"}, token)

    for page in (coach, client):
        expect(page.locator("section.room")).to_have_attribute("data-state", "refused")
        expect(page.get_by_role("status")).to_contain_text("This session was canceled.")
    shot(client, "room-canceled")
