"""The directory: each filter, their combination, the three orders, keyset pages, DST, and
the directory's columns following profile edits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from booking.storage.coaches import HOURS_MASKS, RATES, Coach, lists_for, weekly_hours
from booking.storage.search_keys import (
    hour_keys,
    hours_masks,
    language_token,
    price_token,
    primary_language_token,
    session_type_token,
    specialty_token,
)
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    get_json,
    get_query,
    listed_coach,
    make_user,
    problem,
)


def hours(weekday: int, start: str, end: str) -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end}


def offer(kind: str, rate: int) -> dict[str, Any]:
    return {"session_type": kind, "rate_minor": rate, "durations": [50]}


COACHES: dict[str, dict[str, Any]] = {
    "ana": {
        "time_zone": "America/New_York",
        "languages": ["en", "pt-BR"],
        "specialties": ["couples-therapy", "communication"],
        "offerings": [offer("video", 12000), offer("chat", 6000)],
        "weekly_hours": [hours(0, "09:00", "12:00")],
    },
    "ben": {
        "time_zone": "Europe/London",
        "languages": ["en-GB"],
        "specialties": ["couples-therapy"],
        "offerings": [offer("video", 9000), offer("phone", 8000)],
        "weekly_hours": [hours(1, "14:00", "18:00")],
    },
    "chloe": {
        "time_zone": "Europe/Paris",
        "languages": ["fr", "pt-PT"],
        "specialties": ["communication", "anxiety"],
        "currency": "EUR",
        "offerings": [offer("video", 10000)],
        "weekly_hours": [],
    },
    "dev": {
        "time_zone": "Asia/Kolkata",
        "languages": ["hi", "en"],
        "specialties": ["couples-therapy", "communication", "anxiety"],
        "offerings": [offer("phone", 3000), offer("video", 5000)],
        "weekly_hours": [hours(0, "18:00", "21:00")],
    },
}
RATINGS = {"ana": [5, 5], "ben": [4], "dev": [3, 4]}


async def seed(client: Client, services: Services, admin: Caller) -> dict[str, str]:
    """The four coaches above, approved, with their reviews: name -> coach id."""
    reviewer = await make_user(services, Role.CLIENT, "Rae Viewer")
    ids = {}
    for name, profile in COACHES.items():
        _, coach_id = await listed_coach(client, services, admin, display_name=name, **profile)
        ids[name] = coach_id
        for stars in RATINGS.get(name, []):
            await services.coaching.reviews.record(
                coach_id=uuid.UUID(coach_id), client_id=reviewer.user_id, rating=stars
            )
    return ids


async def names(client: Client, **params: Any) -> list[str]:
    body = await get_json(client, "/api/coaches", **params)
    return [item["display_name"] for item in body["items"]]


async def test_each_filter_alone(client: Client, services: Services, admin: Caller) -> None:
    await seed(client, services, admin)

    async def found(**params: Any) -> set[str]:
        return set(await names(client, **params))

    assert await found() == {"ana", "ben", "chloe", "dev"}
    assert await found(specialty="couples-therapy") == {"ana", "ben", "dev"}
    assert await found(specialty=["couples-therapy", "anxiety"]) == {"dev"}
    assert await found(session_type="phone") == {"ben", "dev"}
    assert await found(session_type="video", min_price=9000, max_price=11000) == {"ben"}
    assert await found(session_type="video", min_price=9000, currency="EUR") == {"chloe"}
    assert await found(currency="EUR") == {"chloe"}
    # Without a session type: any type the coach offers, priced in range (in USD).
    assert await found(min_price=7000, max_price=8500) == {"ben"}  # his phone sessions
    assert await found(min_price=9000) == {"ana", "ben"}
    assert await found(max_price=5000) == {"dev"}
    assert await found(min_price=9000, currency="EUR") == {"chloe"}
    assert await found(language="pt") == {"ana", "chloe"}
    assert await found(language="pt-BR") == {"ana"}
    assert await found(language="fr,hi") == {"chloe", "dev"}
    assert await found(language="EN") == {"ana", "ben", "dev"}
    assert await found(min_rating="4.5") == {"ana"}
    assert await found(min_rating="3.5") == {"ana", "ben", "dev"}
    # Monday 9 March 2026, 14:00-15:00 UTC: 10:00 EDT in New York (DST began on the 8th),
    # 19:30 IST in Kolkata, 14:00 GMT in London (Ben works Tuesdays).
    window = {"available_from": "2026-03-09T14:00:00Z", "available_to": "2026-03-09T15:00:00Z"}
    assert await found(**window) == {"ana", "dev"}
    week = {"available_from": "2026-03-09T00:00:00Z", "available_to": "2026-03-20T00:00:00Z"}
    assert await found(**week) == {"ana", "ben", "dev"}


async def test_filters_combine(client: Client, services: Services, admin: Caller) -> None:
    await seed(client, services, admin)
    five = {
        "specialty": "communication",
        "session_type": "video",
        "max_price": 12000,
        "language": "en",
        "min_rating": "3",
    }
    assert sorted(await names(client, **five)) == ["ana", "dev"]
    evening = {"available_from": "2026-03-09T13:00:00+01:00", "available_to": "2026-03-09T14:00Z"}
    assert await names(client, **{**five, "max_price": 6000}, **evening) == ["dev"]
    assert await names(client, **{**five, "min_rating": "4.5"}) == ["ana"]
    assert await names(client, specialty="anxiety", session_type="phone") == ["dev"]


async def test_sort_orders(client: Client, services: Services, admin: Caller) -> None:
    ids = await seed(client, services, admin)
    relevance = await names(client)
    # Ana's two 5-star reviews beat the prior (4.0); Ben (one 4) ties Chloé (none) on the
    # prior, so the id decides; Dev's 3.5 average falls below it.
    tied = sorted(["ben", "chloe"], key=lambda n: ids[n], reverse=True)
    assert relevance == ["ana", *tied, "dev"]
    assert await names(client, sort="rating") == ["ana", "ben", "dev", "chloe"]
    # Prices are compared in one currency (USD unless asked), never €100 with $90.
    assert await names(client, sort="price") == ["dev", "ana", "ben"]
    assert await names(client, sort="price", session_type="video") == ["dev", "ben", "ana"]
    assert await names(client, sort="price", currency="EUR") == ["chloe"]
    (ana,) = (await get_json(client, "/api/coaches", sort="rating", limit=1))["items"]
    assert ana["rating"] == {"average": 5.0, "count": 2}
    assert ana["languages"] == ["en", "pt-BR"]
    assert [s["slug"] for s in ana["specialties"]] == ["communication", "couples-therapy"]
    assert ana["session_types"] == [
        {"session_type": "video", "rate_minor": 12000, "durations": [50], "dial_in": False},
        {"session_type": "chat", "rate_minor": 6000, "durations": [50], "dial_in": False},
    ]
    assert (ana["currency"], ana["time_zone"], ana["badges"]) == ("USD", "America/New_York", [])


async def test_keyset_pages_visit_every_coach_once(
    client: Client, services: Services, admin: Caller
) -> None:
    await seed(client, services, admin)
    for name in ("eve", "fay", "gus"):  # ties with Ben and Chloé on every sort key
        await listed_coach(
            client, services, admin, display_name=name, offerings=[offer("video", 8000)]
        )
    for params in (
        {"sort": "relevance"},
        {"sort": "rating"},
        {"sort": "price"},
        {"sort": "price", "session_type": "video"},
        {"sort": "rating", "specialty": "communication"},
    ):
        whole = await names(client, **params, limit=50)
        paged: list[str] = []
        cursor = None
        while True:
            query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await get_query(client, "/api/coaches", query)
            paged += [item["display_name"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == whole, params
        assert len(set(paged)) == len(paged)
    assert len(await names(client, limit=50)) == 7


async def test_weekly_hours_follow_daylight_saving(
    client: Client, services: Services, admin: Caller
) -> None:
    # Monday 09:00-12:00 in New York: 14:00-17:00 UTC in winter (EST, UTC-5), 13:00-16:00 UTC
    # in summer (EDT, UTC-4).
    await listed_coach(
        client,
        services,
        admin,
        time_zone="America/New_York",
        weekly_hours=[hours(0, "09:00", "12:00")],
    )

    async def matches(start: str, end: str) -> bool:
        return bool(await names(client, available_from=start, available_to=end))

    january, july = "2026-01-05", "2026-07-06"  # both Mondays
    assert not await matches(f"{january}T13:00:00Z", f"{january}T14:00:00Z")  # 08:00 EST
    assert await matches(f"{january}T14:00:00Z", f"{january}T15:00:00Z")  # 09:00 EST
    assert await matches(f"{january}T16:00:00Z", f"{january}T17:00:00Z")  # 11:00 EST
    assert await matches(f"{july}T13:00:00Z", f"{july}T14:00:00Z")  # 09:00 EDT
    assert not await matches(f"{july}T16:00:00Z", f"{july}T17:00:00Z")  # 12:00 EDT
    # The same instant written with another offset is the same window.
    assert await matches(f"{july}T15:00:00+02:00", f"{july}T16:00:00+02:00")


async def test_cursors_cannot_be_forged_or_reused_across_orders(
    client: Client, services: Services, admin: Caller
) -> None:
    await seed(client, services, admin)
    cursor = (await get_json(client, "/api/coaches", limit=1))["next_cursor"]
    payload, _, tag = cursor.partition(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (f"{flipped}.{tag}", "not-a-cursor", cursor + "x"):
        response = await client.get("/api/coaches", params={"cursor": bad})
        assert (await problem(response, 400))["code"] == "invalid_cursor"
    other_order = await client.get("/api/coaches", params={"cursor": cursor, "sort": "price"})
    assert (await problem(other_order, 400))["code"] == "invalid_cursor"


async def test_directory_follows_profile_edits(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)  # New York, Mondays 9-12

    async def found(**params: Any) -> bool:
        return coach_id in [
            item["id"] for item in (await get_json(client, "/api/coaches", **params))["items"]
        ]

    monday_10am_new_york = {
        "available_from": "2026-07-06T14:00:00Z",
        "available_to": "2026-07-06T15:00:00Z",
    }
    before: list[dict[str, Any]] = [
        {"specialty": "couples-therapy"},
        {"language": "pt"},
        {"session_type": "chat", "min_price": 6000, "max_price": 6000},
        monday_10am_new_york,
    ]
    assert [await found(**params) for params in before] == [True] * 4
    response = await client.patch(
        "/api/coaches/me",
        json={
            "specialties": ["grief-loss"],
            "languages": ["de-AT"],
            "currency": "EUR",
            "offerings": [offer("phone", 15000)],
            "weekly_hours": [hours(2, "18:00", "20:00")],
        },
        headers=coach.headers,
    )
    assert response.status == 200, await response.text()
    assert [await found(**params) for params in before] == [False] * 4
    after: list[dict[str, Any]] = [
        {"specialty": "grief-loss"},
        {"language": "de"},
        {"session_type": "phone", "min_price": 14000, "max_price": 16000, "currency": "EUR"},
        # Wednesday 18:30 in New York.
        {"available_from": "2026-07-08T22:30:00Z", "available_to": "2026-07-08T23:00:00Z"},
    ]
    assert [await found(**params) for params in after] == [True] * 4
    assert not await found(session_type="phone", min_price=14000, max_price=16000)  # USD
    # The same weekly hours in another zone are other hours of the world.
    moved = await client.patch(
        "/api/coaches/me", json={"time_zone": "Europe/Berlin"}, headers=coach.headers
    )
    assert moved.status == 200, await moved.text()
    assert not await found(**after[3])
    assert await found(available_from="2026-07-08T16:30:00Z", available_to="2026-07-08T17:00:00Z")
    await assert_search_columns_in_step(services)


async def test_windows_off_the_half_hour_grid_are_exact(
    client: Client, services: Services, admin: Caller
) -> None:
    await listed_coach(
        client,
        services,
        admin,
        time_zone="America/New_York",
        weekly_hours=[hours(0, "09:10", "12:00")],
    )

    async def matches(start: str, end: str) -> bool:
        return bool(await names(client, available_from=start, available_to=end))

    # Monday 6 July 2026, EDT: 13:00Z is 09:00 in New York.
    assert not await matches("2026-07-06T13:00:00Z", "2026-07-06T13:10:00Z")  # 09:00-09:10
    assert await matches("2026-07-06T13:05:00Z", "2026-07-06T13:15:00Z")  # 09:05-09:15
    assert not await matches("2026-07-06T16:00:00Z", "2026-07-06T16:29:00Z")  # 12:00-12:29


async def assert_search_columns_in_step(services: Services) -> None:
    """Every coach's directory columns are what the link tables say (search_keys' rules)."""
    async with services.db.session() as session:
        for coach in await session.scalars(select(Coach)):
            lists = (await lists_for(session, [coach.id]))[coach.id]
            ranges = [
                (h.weekday, h.start_minute, h.end_minute)
                for h in await weekly_hours(session, coach.id)
            ]
            rates = {o.session_type: o.rate_minor for o in lists.offerings}
            tokens = {
                *(specialty_token(s.slug) for s in lists.specialties),
                *(language_token(tag) for tag in lists.languages),
                *(primary_language_token(tag.split("-")[0]) for tag in lists.languages),
                *(session_type_token(kind) for kind in rates),
                *(price_token(kind, coach.currency, rate) for kind, rate in rates.items()),
            }
            masks = hours_masks(ranges)
            assert coach.search_tokens == sorted(tokens)
            assert [getattr(coach, c.key) for c in RATES.values()] == [
                rates.get(kind) for kind in RATES
            ]
            assert [getattr(coach, c.key) for c in HOURS_MASKS] == masks
            assert coach.hour_keys == hour_keys(coach.time_zone, masks)
