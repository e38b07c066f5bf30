"""Step 4 of booking: the confirmed session as an iCalendar event, and the whole flow."""

from __future__ import annotations

import unicodedata
from datetime import UTC, timedelta
from typing import Any

import icalendar

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, client_secret, confirm, held, pro
from tests.booking.support import Caller, Client, make_user, problem

__all__ = ["pro"]  # the fixture, shared


async def ics(client: Client, caller: Caller, booking_id: str) -> Any:
    return await client.get(f"/api/bookings/{booking_id}/calendar.ics", headers=caller.headers)


async def event_of(client: Client, caller: Caller, booking_id: str) -> icalendar.Calendar:
    response = await ics(client, caller, booking_id)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/calendar"
    return icalendar.Calendar.from_ical(await response.read())


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, icalendar.Event)
    return event


async def test_the_four_steps_end_in_a_calendar_event(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])  # step 1
    details = {"focus_area": "Rebuilding trust", "notes_for_coach": "Private things."}
    patched = await client.patch(  # step 2
        f"/api/bookings/{booking['id']}", json=details, headers=member.headers
    )
    assert patched.status == 200
    secret = await client_secret(client, member, booking["id"])  # step 3
    confirmed = await confirm(client, member, secret)  # step 4
    assert (await confirmed.json())["booking"]["status"] == "confirmed"

    response = await ics(client, member, booking["id"])
    text = (await response.read()).decode()
    assert "DTSTART:20260310T130000Z" in text
    assert "Rebuilding trust" not in text
    assert "Private things" not in text
    calendar = icalendar.Calendar.from_ical(text)
    event = only_event(calendar)
    assert event.decoded("dtstart") == TUESDAY_9AM
    assert event.decoded("dtend") == TUESDAY_9AM + timedelta(minutes=50)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert str(event["uid"]) == f"{booking['id']}@flourish"
    assert str(event["summary"]) == "Flourish video session with Dr Ann Lee"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["url"]).endswith(f"/sessions/{booking['id']}")


async def test_the_coach_sees_the_clients_name(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    event = only_event(await event_of(client, pro[0], booking["id"]))
    assert str(event["summary"]) == "Flourish video session with Cleo Client"


async def test_a_canceled_booking_gives_a_cancellation(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    canceled = await client.post(
        f"/api/bookings/{booking['id']}/cancel", json={"reason": "Ill."}, headers=pro[0].headers
    )
    assert canceled.status == 200
    calendar = await event_of(client, member, booking["id"])
    assert str(calendar["method"]) == "CANCEL"
    event = only_event(calendar)
    assert str(event["status"]) == "CANCELLED"
    assert event.decoded("sequence") == 1


async def test_a_rescheduled_booking_has_its_new_time(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    wednesday = TUESDAY_9AM + timedelta(days=1)
    moved = await client.post(
        f"/api/bookings/{booking['id']}/reschedule",
        json={"start": wednesday.isoformat()},
        headers=member.headers,
    )
    assert moved.status == 200
    event = only_event(await event_of(client, member, booking["id"]))
    assert event.decoded("dtstart") == wednesday.astimezone(UTC)
    assert event.decoded("sequence") == 1


async def test_only_a_booked_session_has_an_event_and_only_for_its_people(
    client: Client, services: Services, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    early = await problem(await ics(client, member, booking["id"]), 409)
    assert early["code"] == "booking_not_confirmed"
    secret = await client_secret(client, member, booking["id"])
    assert (await confirm(client, member, secret)).status == 200
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    for caller in (stranger, admin):
        hidden = await problem(await ics(client, caller, booking["id"]), 404)
        assert hidden["code"] == "booking_not_found"


async def test_the_link_comes_from_public_url_never_the_host_header(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    headers = {**member.headers, "Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    response = await client.get(f"/api/bookings/{booking['id']}/calendar.ics", headers=headers)
    assert response.status == 200
    event = only_event(icalendar.Calendar.from_ical(await response.read()))
    # The test settings have no PUBLIC_URL: development links to the server as it listens.
    assert str(event["url"]) == f"http://127.0.0.1:8080/sessions/{booking['id']}"


async def test_no_control_or_format_character_reaches_the_file(
    client: Client, services: Services, pro: tuple[Caller, str]
) -> None:
    sly = await make_user(services, Role.CLIENT, "Eve\r\nATTENDEE:x\x1b\u202egnp.exe\u200b")
    booking = await booked(client, sly, pro[1])
    response = await ics(client, pro[0], booking["id"])
    text = (await response.read()).decode()
    body = text.replace("\r\n", "")  # the file's own line endings (and folds)
    assert [c for c in body if unicodedata.category(c) in ("Cc", "Cf")] == []
    event = only_event(icalendar.Calendar.from_ical(text))
    assert str(event["summary"]) == "Flourish video session with Eve ATTENDEE:x gnp.exe"
