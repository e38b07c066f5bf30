"""A client moving a session into the last 24 hours before it is told, before confirming, that
the move ends their free cancellation and what a cancellation would then refund; they move it
with a second, deliberate click (desktop and phone)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from booking.storage.bookings import Booking
from booking.storage.coaches import Coach, CoachOffering
from realtime.auth.models import User
from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE, OpenPage, log_in, shot
from tests.browser.sessions import demo_coach_login
from tests.realtime.test_cli import Server

COACH_NUMBER = 8  # tests/browser/sessions.py: each test its own demo coach


def call(base_url: str, method: str, path: str, token: str, body: object) -> Any:
    request = urllib.request.Request(
        f"{base_url}{path}",
        method=method,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def login(base_url: str, email: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/auth/login",
        data=json.dumps({"email": email, "password": DEMO_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["tokens"]["access_token"]
    return token


def booked_three_days_ahead(server_dir: Path, coach_email: str) -> tuple[str, datetime]:
    """A confirmed video session of the demo client with the coach, 72 hours from now."""
    engine = create_engine(f"sqlite:///{server_dir / 'var' / 'flourish.db'}")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)  # noqa: TID251
    start = now + timedelta(hours=72)
    try:
        with Session(engine) as session, session.begin():
            client_id = session.scalar(select(User.id).where(User.email == CLIENT_EMAIL))
            coach = session.scalars(
                select(Coach).join(User, User.id == Coach.user_id).where(User.email == coach_email)
            ).one()
            offering = session.get(CoachOffering, (coach.id, "video"))
            assert client_id is not None
            assert offering is not None
            duration = min(offering.durations)
            end = start + timedelta(minutes=duration)
            booking = Booking(
                coach_id=coach.id,
                client_id=client_id,
                session_type="video",
                duration=duration,
                starts_at=start,
                ends_at=end,
                blocked_from=start,
                blocked_to=end,
                status="confirmed",
                price_minor=8000,
                currency=coach.currency,
                commission_bps=coach.commission_bps,
                confirmed_at=now - timedelta(days=1),
                created_at=now - timedelta(days=1),
                updated_at=now - timedelta(days=1),
            )
            session.add(booking)
            session.flush()
            return str(booking.id), start
    finally:
        engine.dispose()


@pytest.mark.timeout(90)
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_move_into_the_last_day_warns_of_the_smaller_refund_first(
    open_page: OpenPage, server: Server, base_url: str, viewport: Any
) -> None:
    coach_email = demo_coach_login(server.log.parent, COACH_NUMBER)
    token = login(base_url, coach_email)
    # Every hour of every day bookable with an hour's notice: a slot within the next day exists.
    every_day = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
    call(
        base_url, "PUT", "/api/coaches/me/schedule/weekly-hours", token, {"weekly_hours": every_day}
    )
    rules = {
        "slot_interval": 60,
        "buffer_before": 0,
        "buffer_after": 0,
        "min_notice": 60,
        "max_advance_days": 30,
    }
    call(base_url, "PUT", "/api/coaches/me/schedule/settings", token, rules)
    booking_id, _ = booked_three_days_ahead(server.log.parent, coach_email)

    page = open_page("client", viewport=viewport)
    log_in(page, CLIENT_EMAIL, then="/sessions")
    item = page.locator(f'li.booking[data-booking="{booking_id}"]')
    item.get_by_role("button", name="Reschedule").click()
    soon = datetime.now(UTC) + timedelta(hours=3)  # noqa: TID251 (the server's real clock)
    late = datetime.now(UTC) + timedelta(hours=20)  # noqa: TID251
    find = (
        "([from, to]) => [...document.querySelectorAll('form.reschedule button.slot')]"
        ".map(b => b.dataset.start).find(s => s && Date.parse(s) >= from && Date.parse(s) <= to)"
    )
    bounds = [soon.timestamp() * 1000, late.timestamp() * 1000]
    form = item.locator("form.reschedule")
    expect(form.locator("button.slot").first).to_be_visible()
    start = page.evaluate(find, bounds)
    if start is None:  # the booking's week is a later one: the day before it is earlier
        form.get_by_role("button", name="Earlier week").click()
        expect(form.locator("button.slot").first).to_be_visible()
        start = page.evaluate(find, bounds)
    assert start, "no slot within the next day"
    form.locator(f'button.slot[data-start="{start}"]').click()
    form.get_by_role("button", name="Move session").click()
    warning = form.get_by_role("alert")
    expect(warning).to_contain_text("ends your free cancellation")
    expect(warning).to_contain_text("refunds only 50%")
    shot(page, f"reschedule-refund-warning-{'phone' if viewport else 'desktop'}")
    # Nothing moved yet: the warning asks for a second, deliberate click.
    moved = form.get_by_role("button", name="Move anyway")
    expect(moved).to_be_visible()
    moved.click()
    # The list reloads with the session at its new time, the form gone.
    expect(item.locator("form.reschedule")).to_have_count(0)
    expect(item).to_be_visible()
