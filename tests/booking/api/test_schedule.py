"""The coach's own calendar rules: settings, weekly hours, date overrides and time off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from realtime.wiring import Services
from tests.booking.support import Caller, Client, listed_coach, problem
from tests.signalling.viewers import Viewer
from tests.support.clock import FakeClock

# The fake clock starts Monday 2026-03-02 09:00 UTC (04:00 in New York, the coach's zone).
SCHEDULE = "/api/coaches/me/schedule"
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
DEFAULTS = {
    "slot_interval": 30,
    "buffer_before": 0,
    "buffer_after": 10,
    "min_notice": 720,
    "max_advance_days": 90,
    "bookable_until": None,
}
SETTINGS = {
    "slot_interval": 15,
    "buffer_before": 5,
    "buffer_after": 15,
    "min_notice": 1440,
    "max_advance_days": 60,
    "bookable_until": None,
}
TIME_OFF = {
    "starts_at": "2026-03-16T00:00:00-04:00",
    "ends_at": "2026-03-21T00:00:00-04:00",
    "note": "Conference",
}


@pytest.fixture
async def owner(client: Client, services: Services, admin: Caller) -> Caller:
    caller, _ = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    return caller


async def schedule(client: Client, caller: Caller) -> dict[str, Any]:
    response = await client.get(SCHEDULE, headers=caller.headers)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def send(client: Client, caller: Caller, method: str, path: str, body: Any = None) -> Any:
    return await client.request(method, SCHEDULE + path, json=body, headers=caller.headers)


async def test_a_new_coach_has_the_default_rules(client: Client, owner: Caller) -> None:
    assert await schedule(client, owner) == {
        "time_zone": "America/New_York",
        "settings": DEFAULTS,
        "weekly_hours": WEEKDAYS,
        "overrides": [],
        "time_off": [],
    }


async def test_settings_are_replaced_whole(client: Client, owner: Caller) -> None:
    response = await send(client, owner, "PUT", "/settings", SETTINGS)
    assert response.status == 200, await response.text()
    assert (await response.json())["settings"] == SETTINGS
    assert (await schedule(client, owner))["settings"] == SETTINGS


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slot_interval": 7}, "slot_interval"),
        ({"slot_interval": 0}, "slot_interval"),
        ({"slot_interval": 245}, "slot_interval"),
        ({"buffer_before": 121}, "buffer_before"),
        ({"buffer_after": -1}, "buffer_after"),
        ({"min_notice": 20161}, "min_notice"),
        ({"max_advance_days": -1}, "max_advance_days"),
        ({"bookable_until": "soon"}, "bookable_until"),
        ({"max_advance_days": 366}, "max_advance_days"),
        ({"min_notice": "60"}, "min_notice"),
        ({"slot_interval": None}, "slot_interval"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    client: Client, owner: Caller, changes: dict[str, Any], field: str
) -> None:
    body = {**SETTINGS, **changes}
    refused = await problem(await send(client, owner, "PUT", "/settings", body), 422)
    assert field in [e["field"] for e in refused["errors"]]
    assert (await schedule(client, owner))["settings"] == DEFAULTS


async def test_weekly_hours_are_replaced_whole(client: Client, owner: Caller) -> None:
    hours = [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "18:00"},
        {"weekday": 5, "start": "10:00", "end": "24:00"},
    ]
    response = await send(client, owner, "PUT", "/weekly-hours", {"weekly_hours": hours})
    assert response.status == 200, await response.text()
    assert (await schedule(client, owner))["weekly_hours"] == hours


async def test_overlapping_weekly_hours_are_merged(client: Client, owner: Caller) -> None:
    hours = [
        {"weekday": 1, "start": "11:00", "end": "14:00"},
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "14:00", "end": "15:00"},  # touching: kept apart
        {"weekday": 2, "start": "10:00", "end": "11:00"},
        {"weekday": 2, "start": "09:00", "end": "17:00"},
    ]
    response = await send(client, owner, "PUT", "/weekly-hours", {"weekly_hours": hours})
    assert response.status == 200, await response.text()
    assert (await schedule(client, owner))["weekly_hours"] == [
        {"weekday": 1, "start": "09:00", "end": "14:00"},
        {"weekday": 1, "start": "14:00", "end": "15:00"},
        {"weekday": 2, "start": "09:00", "end": "17:00"},
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"slot_interval": 90, "max_advance_days": 0},  # back to back, today only
        {"slot_interval": 240, "max_advance_days": None},  # no limit
        {"max_advance_days": None, "bookable_until": "2026-06-30"},  # a fixed end date
    ],
)
async def test_grids_and_horizons(client: Client, owner: Caller, changes: dict[str, Any]) -> None:
    rules = {**SETTINGS, **changes}
    response = await send(client, owner, "PUT", "/settings", rules)
    assert response.status == 200, await response.text()
    assert (await schedule(client, owner))["settings"] == rules


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 1, "start": "12:00", "end": "09:00"}], "weekly_hours.0"),
        ([{"weekday": 7, "start": "09:00", "end": "12:00"}], "weekly_hours.0.weekday"),
        ([{"weekday": 1, "start": "9am", "end": "12:00"}], "weekly_hours.0.start"),
    ],
)
async def test_bad_weekly_hours_are_refused_and_change_nothing(
    client: Client, owner: Caller, hours: list[dict[str, Any]], field: str
) -> None:
    response = await send(client, owner, "PUT", "/weekly-hours", {"weekly_hours": hours})
    refused = await problem(response, 422)
    assert field in [e["field"] for e in refused["errors"]]
    assert (await schedule(client, owner))["weekly_hours"] == WEEKDAYS


async def test_overrides_are_listed_from_today_on(
    client: Client, owner: Caller, clock: FakeClock
) -> None:
    lunch = [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
    for day, ranges in [("2026-03-04", []), ("2026-03-03", lunch)]:
        response = await send(client, owner, "PUT", f"/overrides/{day}", {"ranges": ranges})
        assert response.status == 200, await response.text()
    assert (await schedule(client, owner))["overrides"] == [
        {"date": "2026-03-03", "ranges": lunch},
        {"date": "2026-03-04", "ranges": []},
    ]
    clock.advance(2 * 86400)  # Wednesday 04:00 in New York: Tuesday has gone
    assert (await schedule(client, owner))["overrides"] == [{"date": "2026-03-04", "ranges": []}]
    for _ in range(2):  # clearing twice is fine
        assert (await send(client, owner, "DELETE", "/overrides/2026-03-04")).status == 204
    assert (await schedule(client, owner))["overrides"] == []


async def test_overlapping_override_ranges_are_merged(client: Client, owner: Caller) -> None:
    ranges = [{"start": "11:30", "end": "13:00"}, {"start": "09:00", "end": "12:00"}]
    response = await send(client, owner, "PUT", "/overrides/2026-03-03", {"ranges": ranges})
    assert response.status == 200, await response.text()
    assert (await schedule(client, owner))["overrides"] == [
        {"date": "2026-03-03", "ranges": [{"start": "09:00", "end": "13:00"}]}
    ]


@pytest.mark.parametrize(
    ("day", "ranges", "field"),
    [
        ("2026-03-01", [], "date"),  # yesterday in New York
        ("2028-03-03", [], "date"),  # more than 730 days ahead (the horizon cap)
        ("2026-02-30", [], "date"),
        ("tuesday", [], "date"),
        ("2026-03-03", [{"start": "12:00", "end": "12:00"}], "ranges.0"),
        ("2026-03-03", [{"start": "24:00", "end": "24:00"}], "ranges.0"),
    ],
)
async def test_bad_overrides_are_refused_and_change_nothing(
    client: Client, owner: Caller, day: str, ranges: list[dict[str, str]], field: str
) -> None:
    response = await send(client, owner, "PUT", f"/overrides/{day}", {"ranges": ranges})
    refused = await problem(response, 422)
    assert field in [e["field"] for e in refused["errors"]]
    assert (await schedule(client, owner))["overrides"] == []


async def test_a_missing_ranges_list_is_refused_not_read_as_closed(
    client: Client, owner: Caller
) -> None:
    refused = await problem(await send(client, owner, "PUT", "/overrides/2026-03-03", {}), 422)
    assert "ranges" in [e["field"] for e in refused["errors"]]


async def test_time_off_is_listed_until_it_ends(
    client: Client, owner: Caller, clock: FakeClock
) -> None:
    response = await send(client, owner, "POST", "/time-off", TIME_OFF)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["starts_at"] == "2026-03-16T04:00:00Z"
    assert created["note"] == "Conference"
    clock.set(datetime(2026, 3, 21, 3, 59, tzinfo=UTC))
    assert (await schedule(client, owner))["time_off"] == [created]
    clock.advance(60)
    assert (await schedule(client, owner))["time_off"] == []


async def test_time_off_can_be_cancelled_once(client: Client, owner: Caller) -> None:
    created = await (await send(client, owner, "POST", "/time-off", TIME_OFF)).json()
    path = f"/time-off/{created['id']}"
    assert (await send(client, owner, "DELETE", path)).status == 204
    again = await problem(await send(client, owner, "DELETE", path), 404)
    assert again["code"] == "time_off_not_found"
    assert (await schedule(client, owner))["time_off"] == []


async def test_nobody_cancels_another_coachs_time_off(
    client: Client, services: Services, admin: Caller, owner: Caller
) -> None:
    created = await (await send(client, owner, "POST", "/time-off", TIME_OFF)).json()
    other, _ = await listed_coach(client, services, admin, display_name="Dr Bo Other")
    response = await send(client, other, "DELETE", f"/time-off/{created['id']}")
    assert (await problem(response, 404))["code"] == "time_off_not_found"
    assert len((await schedule(client, owner))["time_off"]) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2026-03-16T00:00:00-04:00"}, "ends_at"),  # not after the start
        ({"ends_at": "2027-03-18T00:00:00-04:00"}, "ends_at"),  # 367 days
        ({"starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-03-01T00:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-03-16T00:00:00"}, "starts_at"),  # no offset
        ({"note": "x" * 201}, "note"),
        ({"reason": "holiday"}, "reason"),
    ],
)
async def test_bad_time_off_is_refused_and_changes_nothing(
    client: Client, owner: Caller, changes: dict[str, Any], field: str
) -> None:
    response = await send(client, owner, "POST", "/time-off", {**TIME_OFF, **changes})
    refused = await problem(response, 422)
    assert field in [e["field"] for e in refused["errors"]]
    assert (await schedule(client, owner))["time_off"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "", None),
        ("PUT", "/settings", SETTINGS),
        ("PUT", "/weekly-hours", {"weekly_hours": WEEKDAYS}),
        ("PUT", "/overrides/2026-03-03", {"ranges": []}),
        ("DELETE", "/overrides/2026-03-03", None),
        ("POST", "/time-off", TIME_OFF),
        ("DELETE", "/time-off/8c0e0d8e-0000-4000-8000-000000000000", None),
    ],
)
async def test_only_coaches_keep_a_schedule(
    client: Client, member: Caller, coach: Caller, method: str, path: str, body: Any
) -> None:
    as_client = await problem(await send(client, member, method, path, body), 403)
    assert as_client["code"] == "forbidden"
    no_profile = await problem(await send(client, coach, method, path, body), 404)
    assert no_profile["code"] == "not_a_coach"
    anonymous = await client.request(method, SCHEDULE + path, json=body)
    assert anonymous.status == 401


async def test_calendar_viewers_are_told_of_schedule_changes(
    client: Client, services: Services, admin: Caller
) -> None:
    owner, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    viewer = Viewer()
    await viewer.connect(str(client.make_url("/")))
    try:
        await viewer.watch(coach_id)
        await send(client, owner, "POST", "/time-off", TIME_OFF)
        assert await viewer.next_change() == {
            "coach_id": coach_id,
            "start": "2026-03-16T04:00:00Z",
            "end": "2026-03-21T04:00:00Z",
            "reason": "schedule",
        }
        await send(client, owner, "PUT", "/overrides/2026-03-03", {"ranges": []})
        told = await viewer.next_change()
        assert (told["start"], told["end"]) == ("2026-03-03T05:00:00Z", "2026-03-04T05:00:00Z")
        await send(client, owner, "PUT", "/settings", SETTINGS)
        told = await viewer.next_change()
        # Up to the longer of the old horizon (90 days) and the new one (60).
        assert (told["start"], told["end"]) == ("2026-03-02T09:00:00Z", "2026-05-31T09:00:00Z")
    finally:
        await viewer.close()
