"""Bad input is refused with a 4xx naming the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    application,
    get_json,
    listed_coach,
    problem,
)

GOOD = application()
OFFERING = GOOD["offerings"][0]
CREDENTIAL = GOOD["credentials"][0]

# (changes to a valid application, status, code, the field named)
BAD_APPLICATIONS: list[tuple[dict[str, Any], int, str, str]] = [
    ({"favourite_colour": "teal"}, 422, "validation_failed", "favourite_colour"),
    ({"years_experience": "eight"}, 422, "validation_failed", "years_experience"),
    ({"years_experience": "8"}, 422, "validation_failed", "years_experience"),
    (
        {"offerings": [{**OFFERING, "rate_minor": 0}]},
        422,
        "validation_failed",
        "offerings.0.rate_minor",
    ),
    (
        {"offerings": [{**OFFERING, "rate_minor": 10_000_01}]},
        422,
        "validation_failed",
        "offerings.0.rate_minor",
    ),
    (
        {"offerings": [{**OFFERING, "durations": [5]}]},
        422,
        "validation_failed",
        "offerings.0.durations.0",
    ),
    (
        {"offerings": [{**OFFERING, "durations": [52]}]},
        422,
        "validation_failed",
        "offerings.0.durations.0",
    ),
    (
        {"offerings": [{**OFFERING, "durations": [245]}]},
        422,
        "validation_failed",
        "offerings.0.durations.0",
    ),
    (
        {"offerings": [{**OFFERING, "durations": ["60"]}]},
        422,
        "validation_failed",
        "offerings.0.durations.0",
    ),
    ({"offerings": [OFFERING, OFFERING]}, 422, "validation_failed", "offerings"),
    ({"specialties": ["astrology"]}, 422, "unknown_specialty", "specialties.0"),
    ({"languages": ["en", "klingonish"]}, 422, "unknown_language", "languages.1"),
    ({"time_zone": "Mars/Olympus_Mons"}, 422, "unknown_time_zone", "time_zone"),
    ({"time_zone": "+02:00"}, 422, "unknown_time_zone", "time_zone"),
    ({"currency": "XBT"}, 422, "unsupported_currency", "currency"),
    ({"photo_url": "http://images.example.org/a.jpg"}, 422, "validation_failed", "photo_url"),
    (
        {"weekly_hours": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
        422,
        "validation_failed",
        "weekly_hours.0.weekday",
    ),
    (
        {"weekly_hours": [{"weekday": 1, "start": "11:00", "end": "10:00"}]},
        422,
        "validation_failed",
        "weekly_hours.0",
    ),
    (
        {"credentials": [{**CREDENTIAL, "expires_on": "2026-03-01"}]},
        422,
        "validation_failed",
        "credentials.0.expires_on",
    ),
    (
        {"credentials": [{**CREDENTIAL, "issuing_country": "QQ"}]},
        422,
        "validation_failed",
        "credentials.0.issuing_country",
    ),
    (
        {"credentials": [{**CREDENTIAL, "issuing_region": "CA-ON"}]},
        422,
        "validation_failed",
        "credentials.0.issuing_region",
    ),
    ({"references": GOOD["references"][:1]}, 422, "validation_failed", "references"),
]


@pytest.mark.parametrize(("changes", "status", "code", "field"), BAD_APPLICATIONS)
async def test_bad_application_is_refused_and_nothing_is_written(
    client: Client, coach: Caller, changes: dict[str, Any], status: int, code: str, field: str
) -> None:
    response = await client.post(
        "/api/coaches/me/application", json=application(**changes), headers=coach.headers
    )
    body = await problem(response, status)
    assert body["code"] == code
    assert field in [e["field"] for e in body["errors"]]
    assert field in body["detail"]
    untouched = await client.get("/api/coaches/me", headers=coach.headers)
    assert (await problem(untouched, 404))["code"] == "not_a_coach"


async def test_bad_edit_changes_nothing(client: Client, services: Services, admin: Caller) -> None:
    coach, _ = await listed_coach(client, services, admin)
    before = await get_json(client, "/api/coaches/me", coach)
    for body, field in [
        ({"bio": "new", "specialties": ["couples-therapy", "palmistry"]}, "specialties.1"),
        ({"bio": "new", "languages": ["xx-yy-zz-123456789"]}, "languages.0"),
        ({"bio": "new", "time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"bio": "new", "display_name": None}, "display_name"),
        ({"bio": "new", "commission_bps": 1500}, "commission_bps"),
    ]:
        response = await client.patch("/api/coaches/me", json=body, headers=coach.headers)
        assert field in [e["field"] for e in (await problem(response, 422))["errors"]], body
    assert await get_json(client, "/api/coaches/me", coach) == before


async def test_malformed_bodies_are_refused(client: Client, coach: Caller) -> None:
    path = "/api/coaches/me/application"
    not_json = await client.post(
        path, data=b"{nope", headers={**coach.headers, "Content-Type": "application/json"}
    )
    assert (await problem(not_json, 400))["code"] == "malformed_json"
    as_form = await client.post(path, data={"a": "b"}, headers=coach.headers)
    assert (await problem(as_form, 415))["code"] == "unsupported_media_type"
    huge = application(bio="x" * 300_000)
    too_big = await client.post(path, json=huge, headers=coach.headers)
    assert (await problem(too_big, 413))["code"] == "body_too_large"
    assert (await client.get("/api/coaches/me", headers=coach.headers)).status == 404


BAD_FILTERS: list[tuple[dict[str, Any], int, str, str]] = [
    ({"specialty": "astrology"}, 422, "unknown_specialty", "specialty"),
    ({"language": "en,zzz-zzz"}, 422, "unknown_language", "language"),
    (
        {"session_type": "video", "min_price": 9000, "max_price": 100},
        422,
        "validation_failed",
        "min_price",
    ),
    ({"min_price": 200, "max_price": 100}, 422, "validation_failed", "min_price"),
    ({"session_type": "video", "max_price": -1}, 422, "validation_failed", "max_price"),
    ({"session_type": "video", "max_price": "lots"}, 422, "validation_failed", "max_price"),
    ({"session_type": "telepathy"}, 422, "validation_failed", "session_type"),
    ({"currency": "ABC"}, 422, "unsupported_currency", "currency"),
    ({"min_rating": "6"}, 422, "validation_failed", "min_rating"),
    ({"min_rating": "4.25"}, 422, "validation_failed", "min_rating"),
    ({"limit": 51}, 422, "validation_failed", "limit"),
    ({"sort": "random"}, 422, "validation_failed", "sort"),
    ({"colour": "teal"}, 422, "validation_failed", "colour"),
    ({"available_from": "2026-03-09T14:00:00"}, 422, "validation_failed", "available_from"),
    ({"available_from": "2026-03-09T14:00:00Z"}, 422, "validation_failed", "available_to"),
    (
        {"available_from": "2026-03-09T14:00:00Z", "available_to": "2026-03-09T13:00:00Z"},
        422,
        "validation_failed",
        "available_to",
    ),
]


@pytest.mark.parametrize(("params", "status", "code", "field"), BAD_FILTERS)
async def test_bad_directory_filters_name_the_field(
    client: Client, params: dict[str, Any], status: int, code: str, field: str
) -> None:
    body = await problem(await client.get("/api/coaches", params=params), status)
    assert body["code"] == code
    assert field in [e["field"] for e in body["errors"]]
