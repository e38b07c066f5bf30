"""The public slots query: free slots of a listed coach, in the viewer's zone."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from booking.api.availability import SlotsOut
from realtime.auth.models import Role, User
from realtime.wiring import Services
from tests.booking.support import Caller, Client, apply, listed_coach, make_user, problem
from tests.support.clock import FakeClock

# The fake clock starts Monday 2026-03-02 09:00 UTC (04:00 in New York). The coach works
# weekdays 09:00-17:00 New York time with the default settings: a 30-minute grid, 10 minutes'
# buffer after a session, 12 hours' notice, 90 days ahead. US clocks go forward on Sunday
# 2026-03-08.
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
NEW_YORK = "America/New_York"
TUESDAY_STARTS = [f"{h:02d}:{m:02d}" for h in range(9, 16) for m in (0, 30)] + ["16:00"]


@pytest.fixture
async def listed(client: Client, services: Services, admin: Caller) -> tuple[Caller, str]:
    return await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)


@pytest.fixture
def coach_id(listed: tuple[Caller, str]) -> str:
    return listed[1]


@pytest.fixture
def owner(listed: tuple[Caller, str]) -> Caller:
    return listed[0]


def query(**changes: Any) -> dict[str, Any]:
    """Query parameters for Tuesday 2026-03-03 in New York; `start` stands for `from`."""
    if "start" in changes:
        changes["from"] = changes.pop("start")
    params: dict[str, Any] = {
        "from": "2026-03-03",
        "to": "2026-03-04",
        "tz": NEW_YORK,
        "session_type": "video",
        "duration": 50,
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


async def get_slots(
    client: Client, coach_id: str, *, caller: Caller | None = None, **changes: Any
) -> dict[str, Any]:
    headers = caller.headers if caller else {}
    response = await client.get(
        f"/api/coaches/{coach_id}/slots", params=query(**changes), headers=headers
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    SlotsOut.model_validate(body)  # the hand-rendered body keeps the documented shape
    return body


def clock_times(body: dict[str, Any]) -> list[str]:
    """The local HH:MM of each slot start, as the viewer reads them."""
    return [slot["start"][11:16] for slot in body["slots"]]


async def test_slots_are_rendered_in_the_viewers_zone(client: Client, coach_id: str) -> None:
    body = await get_slots(client, coach_id, tz="Europe/Paris", to="2026-03-04")
    assert body["time_zone"] == "Europe/Paris"
    assert body["price"] == {"minor": 10000, "currency": "USD"}  # 50 minutes at 120.00/h
    assert body["slots"][0] == {
        "start": "2026-03-03T15:00:00+01:00",  # 09:00 in New York
        "end": "2026-03-03T15:50:00+01:00",
    }
    assert body["slots"][-1]["start"] == "2026-03-03T22:00:00+01:00"  # 16:00 ends by 17:00
    assert len(body["slots"]) == len(TUESDAY_STARTS)


async def test_the_default_zone_is_the_viewers_own_or_utc(
    client: Client, services: Services, coach_id: str
) -> None:
    anonymous = await get_slots(client, coach_id, tz=None, start="2026-03-03T00:00:00Z")
    assert anonymous["time_zone"] == "UTC"
    assert anonymous["slots"][0]["start"] == "2026-03-03T14:00:00Z"
    viewer = await make_user(services, Role.CLIENT, "Tomo Tokyo")
    async with services.db.session() as session:
        user = await session.get(User, viewer.user_id)
        assert user is not None
        user.time_zone = "Asia/Tokyo"
    mine = await get_slots(client, coach_id, caller=viewer, tz=None)
    assert mine["time_zone"] == "Asia/Tokyo"
    # Tokyo's 2026-03-03 runs 15:00 UTC on the 2nd to 15:00 UTC on the 3rd: New York's
    # Monday from 16:00 (12 hours' notice) and Tuesday until 09:30 (14:30 UTC).
    assert clock_times(mine) == ["06:00", "23:00", "23:30"]


async def test_nine_oclock_stays_nine_oclock_across_the_dst_change(
    client: Client, coach_id: str
) -> None:
    body = await get_slots(client, coach_id, start="2026-03-06", to="2026-03-10")
    friday = [s["start"] for s in body["slots"] if s["start"].startswith("2026-03-06")]
    monday = [s["start"] for s in body["slots"] if s["start"].startswith("2026-03-09")]
    assert friday[0] == "2026-03-06T09:00:00-05:00"
    assert monday[0] == "2026-03-09T09:00:00-04:00"
    assert len(friday) == len(monday) == len(TUESDAY_STARTS)
    in_utc = await get_slots(client, coach_id, tz="UTC", start="2026-03-06", to="2026-03-10")
    starts = [s["start"] for s in in_utc["slots"]]
    assert "2026-03-06T14:00:00Z" in starts
    assert "2026-03-09T13:00:00Z" in starts


async def put_settings(client: Client, owner: Caller, settings: dict[str, int]) -> None:
    response = await client.put(
        "/api/coaches/me/schedule/settings", json=settings, headers=owner.headers
    )
    assert response.status == 200, await response.text()


async def hold_tuesday(
    client: Client, member: Caller, coach_id: str, clock_time: str, *, status: int = 201
) -> Any:
    """A 50-minute video hold on Tuesday 2026-03-03 at `clock_time` New York time."""
    hold = {
        "coach_id": coach_id,
        "start": f"2026-03-03T{clock_time}:00-05:00",
        "session_type": "video",
        "duration": 50,
    }
    response = await client.post("/api/bookings", json=hold, headers=member.headers)
    assert response.status == status, await response.text()
    return response


async def test_a_held_slot_and_its_buffer_disappear_until_the_hold_expires(
    client: Client, member: Caller, coach_id: str, clock: FakeClock
) -> None:
    await hold_tuesday(client, member, coach_id, "10:00")
    # The hold blocks 10:00-11:00 (10 minutes' buffer after): 50-minute slots from 09:30 to
    # 10:30 would overlap it; 09:00 (blocking until 10:00) and 11:00 touch it.
    held = clock_times(await get_slots(client, coach_id))
    assert held == [t for t in TUESDAY_STARTS if t not in ("09:30", "10:00", "10:30")]
    clock.advance(10 * 60 + 1)
    assert clock_times(await get_slots(client, coach_id)) == TUESDAY_STARTS


async def test_buffers_raised_later_apply_to_bookings_already_made(
    client: Client, services: Services, member: Caller, owner: Caller, coach_id: str
) -> None:
    await hold_tuesday(client, member, coach_id, "10:00")
    settings = {
        "slot_interval": 30,
        "buffer_before": 30,
        "buffer_after": 40,
        "min_notice": 720,
        "max_advance_days": 90,
    }
    await put_settings(client, owner, settings)
    # The hold (10:00-10:50, stored with 10 minutes after) now blocks 09:30-11:30, and each new
    # slot blocks 30 minutes before and 40 after itself: 09:00 would block until 10:30, 11:30
    # from 11:00; 12:00 (blocking from 11:30) is the first after it.
    starts = clock_times(await get_slots(client, coach_id))
    assert "11:00" not in starts  # free under the buffers the hold was made with
    assert starts[:2] == ["12:00", "12:30"]
    someone = await make_user(services, Role.CLIENT, "Second Client")
    taken = await hold_tuesday(client, someone, coach_id, "11:00", status=409)
    assert (await taken.json())["code"] == "slot_taken"


async def test_the_fall_back_night_offers_the_repeated_hour_twice(
    client: Client, owner: Caller, coach_id: str
) -> None:
    night = {"weekly_hours": [{"weekday": 6, "start": "00:00", "end": "04:00"}]}
    response = await client.put(
        "/api/coaches/me/schedule/weekly-hours", json=night, headers=owner.headers
    )
    assert response.status == 200, await response.text()
    settings = {
        "slot_interval": 60,
        "buffer_before": 0,
        "buffer_after": 0,
        "min_notice": 0,
        "max_advance_days": 365,
    }
    await put_settings(client, owner, settings)
    # Sunday 2026-11-01: New York goes back from 02:00 EDT to 01:00 EST.
    body = await get_slots(client, coach_id, start="2026-11-01", to="2026-11-02", duration=50)
    assert [slot["start"] for slot in body["slots"]] == [
        "2026-11-01T00:00:00-04:00",
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
        "2026-11-01T03:00:00-05:00",
    ]
    in_utc = await get_slots(
        client, coach_id, start="2026-11-01T00:00:00-04:00", to="2026-11-02", tz="UTC"
    )
    assert [slot["start"][11:16] for slot in in_utc["slots"]] == [
        "04:00",
        "05:00",
        "06:00",
        "07:00",
        "08:00",
    ]


async def test_every_listed_slot_can_be_held(
    client: Client, services: Services, coach_id: str
) -> None:
    body = await get_slots(client, coach_id, tz="Europe/Paris", session_type="chat", duration=30)
    assert body["price"] == {"minor": 3000, "currency": "USD"}
    # Every fourth: two chats 30 minutes apart would overlap with the 10-minute buffer. A client
    # each, as one may hold one slot of a coach at a time (HOLD_LIMIT_PER_COACH).
    for n, slot in enumerate(body["slots"][::4]):
        member = await make_user(services, Role.CLIENT, f"Client {n}")
        hold = {"coach_id": coach_id, "start": slot["start"], "session_type": "chat"}
        response = await client.post(
            "/api/bookings", json={**hold, "duration": 30}, headers=member.headers
        )
        assert response.status == 201, await response.text()


async def test_overrides_replace_and_close_days(
    client: Client, owner: Caller, coach_id: str
) -> None:
    base = "/api/coaches/me/schedule/overrides"
    for day, ranges in [
        ("2026-03-03", [{"start": "13:00", "end": "15:00"}]),
        ("2026-03-04", []),
        ("2026-03-07", [{"start": "10:00", "end": "11:00"}]),  # a Saturday
    ]:
        response = await client.put(f"{base}/{day}", json={"ranges": ranges}, headers=owner.headers)
        assert response.status == 200, await response.text()
    week = await get_slots(client, coach_id, to="2026-03-08")
    by_day: dict[str, list[str]] = {}
    for slot in week["slots"]:
        by_day.setdefault(slot["start"][:10], []).append(slot["start"][11:16])
    assert by_day == {
        "2026-03-03": ["13:00", "13:30", "14:00"],
        "2026-03-05": TUESDAY_STARTS,
        "2026-03-06": TUESDAY_STARTS,
        "2026-03-07": ["10:00"],
    }
    response = await client.delete(f"{base}/2026-03-03", headers=owner.headers)
    assert response.status == 204
    assert clock_times(await get_slots(client, coach_id)) == TUESDAY_STARTS


async def test_time_off_removes_the_slots_it_touches(
    client: Client, owner: Caller, coach_id: str
) -> None:
    off = {"starts_at": "2026-03-03T10:00:00-05:00", "ends_at": "2026-03-03T12:00:00-05:00"}
    response = await client.post(
        "/api/coaches/me/schedule/time-off", json=off, headers=owner.headers
    )
    assert response.status == 201, await response.text()
    # A 50-minute session starting 09:30 to 11:30 would run into 10:00-12:00.
    gone = ("09:30", "10:00", "10:30", "11:00", "11:30")
    assert clock_times(await get_slots(client, coach_id)) == [
        t for t in TUESDAY_STARTS if t not in gone
    ]
    time_off_id = (await response.json())["id"]
    response = await client.delete(
        f"/api/coaches/me/schedule/time-off/{time_off_id}", headers=owner.headers
    )
    assert response.status == 204
    assert clock_times(await get_slots(client, coach_id)) == TUESDAY_STARTS


async def test_notice_and_horizon_bound_the_slots(client: Client, coach_id: str) -> None:
    # Now is 04:00 on Monday in New York: with 12 hours' notice, 16:00 is the first slot.
    today = await get_slots(client, coach_id, start="2026-03-02", to="2026-03-03")
    assert clock_times(today) == ["16:00"]
    # Today (Monday 2026-03-02 in New York) is day 0; day 90, Sunday 2026-05-31, is the last.
    late = await get_slots(client, coach_id, start="2026-05-25", to="2026-06-06")
    days = sorted({slot["start"][:10] for slot in late["slots"]})
    assert days == ["2026-05-25", "2026-05-26", "2026-05-27", "2026-05-28", "2026-05-29"]


async def test_settings_change_the_grid(client: Client, owner: Caller, coach_id: str) -> None:
    settings = {
        "slot_interval": 60,
        "buffer_before": 0,
        "buffer_after": 0,
        "min_notice": 0,
        "max_advance_days": 30,
    }
    await put_settings(client, owner, settings)
    hourly = [f"{h:02d}:00" for h in range(9, 17)]
    assert clock_times(await get_slots(client, coach_id)) == hourly
    today = await get_slots(client, coach_id, start="2026-03-02", to="2026-03-03")
    assert clock_times(today) == hourly  # no notice needed any more
    beyond = await get_slots(client, coach_id, start="2026-04-06", to="2026-04-11")
    assert beyond["slots"] == []


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"tz": "Mars/Olympus"}, 422, "unknown_time_zone", "tz"),
        ({"tz": "+02:00"}, 422, "unknown_time_zone", "tz"),
        ({"to": "2026-03-03"}, 422, "validation_failed", "to"),
        ({"to": "2026-03-02"}, 422, "validation_failed", "to"),
        ({"to": "2026-06-04"}, 422, "validation_failed", "to"),
        ({"from": "2026-03-03T09:00:00"}, 422, "validation_failed", "from"),
        ({"from": "next tuesday"}, 422, "validation_failed", "from"),
        ({"from": None}, 422, "validation_failed", "from"),
        ({"session_type": "phone"}, 422, "session_type_not_offered", "session_type"),
        ({"session_type": "fax"}, 422, "validation_failed", "session_type"),
        ({"duration": 60}, 422, "duration_not_offered", "duration"),
        ({"duration": "long"}, 422, "validation_failed", "duration"),
        ({"duration": 52}, 422, "validation_failed", "duration"),
        ({"duration": 245}, 422, "validation_failed", "duration"),
        ({"surprise": "yes"}, 422, "validation_failed", "surprise"),
    ],
)
async def test_bad_queries_are_refused(
    client: Client,
    coach_id: str,
    changes: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    response = await client.get(f"/api/coaches/{coach_id}/slots", params=query(**changes))
    refused = await problem(response, status)
    assert refused["code"] == code
    assert field in [e["field"] for e in refused["errors"]]


async def test_an_unlisted_or_unknown_coach_has_no_slots(client: Client, coach: Caller) -> None:
    submitted = await apply(client, coach, weekly_hours=WEEKDAYS)
    for coach_id in (submitted["coach_id"], uuid.uuid4(), "not-a-uuid"):
        response = await client.get(f"/api/coaches/{coach_id}/slots", params=query())
        assert (await problem(response, 404))["code"] in ("coach_not_found", "not_found")


async def test_a_query_string_plus_sign_is_read_as_an_offset(client: Client, coach_id: str) -> None:
    url = (
        f"/api/coaches/{coach_id}/slots?from=2026-03-03T00:00:00+01:00&to=2026-03-04T00:00:00+01:00"
    )
    response = await client.get(url + "&tz=UTC&session_type=video&duration=50")
    assert response.status == 200, await response.text()
    assert (await response.json())["slots"][0]["start"] == "2026-03-03T14:00:00Z"
