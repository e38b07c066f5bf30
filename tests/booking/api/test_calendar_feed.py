"""A coach's private calendar feed: a secret URL, hashed at rest, rotatable and revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
from sqlalchemy import select

from booking.storage.subscriptions import CalendarSubscription
from realtime.audit import AuditRow
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, held, pro
from tests.booking.support import Caller, Client, problem

__all__ = ["pro"]  # the fixture, shared

FEED = "/api/coaches/me/calendar-feed"


async def issue(client: Client, coach: Caller) -> str:
    response = await client.post(FEED, headers=coach.headers)
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    assert body["active"] is True
    return str(urlsplit(body["url"]).path)


async def read(client: Client, path: str) -> icalendar.Calendar:
    response = await client.get(path)  # no credentials: calendar apps send none
    assert response.status == 200, await response.text()
    assert response.content_type == "text/calendar"
    assert "no-store" in response.headers["Cache-Control"]
    return icalendar.Calendar.from_ical(await response.read())


async def test_the_feed_lists_sessions_with_the_clients_first_name_only(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach, coach_id = pro
    booking = await booked(client, member, coach_id)
    await held(client, member, coach_id, TUESDAY_9AM + timedelta(hours=2))  # not a session yet
    path = await issue(client, coach)
    calendar = await read(client, path)
    assert str(calendar["method"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Flourish video session with Cleo"  # not "Cleo Client"
    assert event.decoded("dtstart") == TUESDAY_9AM
    assert str(event["uid"]) == f"{booking['id']}@flourish"
    assert str(event["status"]) == "CONFIRMED"
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    async with services.db.session() as session:
        stored = (await session.scalars(select(CalendarSubscription))).one()
        actions = list(await session.scalars(select(AuditRow.action)))
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64
    assert {"calendar_feed.issue", "calendar_feed.read"} <= set(actions)


async def test_canceled_sessions_stay_as_cancelled(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach, coach_id = pro
    booking = await booked(client, member, coach_id)
    canceled = await client.post(
        f"/api/bookings/{booking['id']}/cancel", json={"reason": "Ill."}, headers=coach.headers
    )
    assert canceled.status == 200, await canceled.text()
    (event,) = (await read(client, await issue(client, coach))).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert "Ill" not in event.to_ical().decode()


async def test_rotating_and_revoking_stop_the_old_url(
    client: Client, pro: tuple[Caller, str]
) -> None:
    coach = pro[0]
    first = await issue(client, coach)
    second = await issue(client, coach)
    assert first != second
    await problem(await client.get(first), 404)
    await read(client, second)
    status = await (await client.get(FEED, headers=coach.headers)).json()
    assert status["active"] is True
    assert status["url"] is None  # the secret is not kept
    for _ in range(2):  # revoking twice is fine
        assert (await client.delete(FEED, headers=coach.headers)).status == 204
    await problem(await client.get(second), 404)
    assert (await (await client.get(FEED, headers=coach.headers)).json())["active"] is False


async def test_only_coaches_have_a_feed(client: Client, member: Caller) -> None:
    await problem(await client.post(FEED, headers=member.headers), 403)
    await problem(await client.get("/api/calendar-feeds/not-a-secret.ics"), 404)
