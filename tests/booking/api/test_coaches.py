"""Profiles: the coach's own view and edits, the public profile, reviews and commission."""

from __future__ import annotations

import uuid
from typing import Any

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    apply,
    get_json,
    get_query,
    listed_coach,
    make_user,
    problem,
)
from tests.support.clock import FakeClock


async def test_coach_sees_their_whole_profile(client: Client, admin: Caller, coach: Caller) -> None:
    submitted = await apply(client, coach, languages=["PT_br", "en"])
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["id"] == submitted["coach_id"]
    assert me["languages"] == ["en", "pt-BR"]  # canonical BCP 47
    assert me["weekly_hours"] == [{"weekday": 0, "start": "09:00", "end": "12:00"}]
    assert me["commission_bps"] == 2000
    assert me["verification"] == {
        "status": "pending",
        "verified_at": None,
        "reverify_by": None,
        "lapsed": False,
        "listed": False,
    }
    assert me["credentials"] == []  # none approved yet
    (pending,) = me["applications"]
    assert pending["credentials"][0]["license_number"] == "LMFT-00123"
    assert pending["credentials"][0]["verified"] is False


async def test_edit_replaces_lists_and_keeps_the_lowest_rate(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    response = await client.patch(
        "/api/coaches/me",
        json={
            "bio": "Now also in Lisbon.",
            "offerings": [{"session_type": "phone", "rate_minor": 4500, "durations": [30, 60]}],
            "specialties": ["anxiety"],
            "weekly_hours": [
                {"weekday": 2, "start": "08:00", "end": "10:00"},
                {"weekday": 2, "start": "14:00", "end": "24:00"},
            ],
        },
        headers=coach.headers,
    )
    assert response.status == 200, await response.text()
    me = await response.json()
    assert me["bio"] == "Now also in Lisbon."
    assert me["display_name"] == "Dr Ann Lee"  # untouched
    assert me["session_types"] == [
        {"session_type": "phone", "rate_minor": 4500, "durations": [30, 60], "dial_in": True}
    ]
    assert [s["slug"] for s in me["specialties"]] == ["anxiety"]
    assert [h["end"] for h in me["weekly_hours"]] == ["10:00", "24:00"]
    cheapest = await get_json(client, "/api/coaches", sort="price", limit=1)
    assert cheapest["items"][0]["id"] == coach_id
    video = await get_json(client, "/api/coaches", session_type="video")
    assert video["items"] == []


async def test_currency_changes_only_with_new_rates(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, _ = await listed_coach(client, services, admin)
    alone = await client.patch("/api/coaches/me", json={"currency": "EUR"}, headers=coach.headers)
    assert (await problem(alone, 422))["errors"][0]["field"] == "currency"
    offerings = [{"session_type": "video", "rate_minor": 9000, "durations": [50]}]
    both = await client.patch(
        "/api/coaches/me",
        json={"currency": "EUR", "offerings": offerings},
        headers=coach.headers,
    )
    assert (await both.json())["currency"] == "EUR"


async def test_public_profile_shows_ratings_credentials_and_newest_reviews(
    client: Client, services: Services, admin: Caller, clock: FakeClock
) -> None:
    _, coach_id = await listed_coach(client, services, admin)
    named = await make_user(services, Role.CLIENT, "Nia Named")
    for stars, anonymous in [(5, False), (4, True), (5, False), (2, False), (5, True), (4, False)]:
        clock.advance(60)
        await services.coaching.reviews.record(
            coach_id=uuid.UUID(coach_id),
            client_id=named.user_id,
            rating=stars,
            text=f"{stars} stars",
            anonymous=anonymous,
        )
    profile = await get_json(client, f"/api/coaches/{coach_id}")
    assert profile["rating"] == {
        "average": 4.17,
        "count": 6,
        "by_star": {"1": 0, "2": 1, "3": 0, "4": 2, "5": 3},
    }
    assert [r["text"] for r in profile["reviews"]] == [
        "4 stars",
        "5 stars",
        "2 stars",
        "5 stars",
        "4 stars",
    ]
    assert [r["client_name"] for r in profile["reviews"]][:2] == ["Nia N.", None]  # no full name
    (credential,) = profile["credentials"]
    assert credential == {
        "license_type": "LMFT",
        "issuing_country": "US",
        "issuing_region": "US-NY",
        "expires_on": "2028-06-30",
        "verified": True,
    }
    assert "license_number" not in credential
    assert profile["bio"] == "Couples therapist in Brooklyn."

    pages: list[Any] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = await get_query(client, f"/api/coaches/{coach_id}/reviews", params)
        pages += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["rating"] for r in pages] == [4, 5, 2, 5, 4, 5]


async def test_unlisted_profile_is_visible_only_to_its_coach_and_admins(
    client: Client, services: Services, admin: Caller, coach: Caller, member: Caller
) -> None:
    submitted = await apply(client, coach)
    path = f"/api/coaches/{submitted['coach_id']}"
    assert (await problem(await client.get(path), 404))["code"] == "coach_not_found"
    assert (await client.get(path, headers=member.headers)).status == 404
    assert (await client.get(f"{path}/reviews")).status == 404
    assert (await get_json(client, path, coach))["id"] == submitted["coach_id"]
    assert (await get_json(client, path, admin))["id"] == submitted["coach_id"]
    assert (await client.get(f"/api/coaches/{uuid.uuid4()}")).status == 404
    assert (await client.get("/api/coaches/not-a-uuid")).status == 404


async def test_admins_set_the_commission_within_the_tiers(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    path = f"/api/admin/coaches/{coach_id}/commission"
    low = await client.put(path, json={"commission_bps": 1000}, headers=admin.headers)
    assert (await problem(low, 422))["errors"][0]["field"] == "commission_bps"
    refused = await client.put(path, json={"commission_bps": 1800}, headers=member.headers)
    assert refused.status == 403
    done = await client.put(path, json={"commission_bps": 1800}, headers=admin.headers)
    assert (await done.json())["commission_bps"] == 1800
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["commission_bps"] == 1800
    assert [(e["action"], e["note"]) for e in me["events"]] == [
        ("commission_changed", "2000 -> 1800 bps")
    ]
    missing = await client.put(
        f"/api/admin/coaches/{uuid.uuid4()}/commission",
        json={"commission_bps": 1800},
        headers=admin.headers,
    )
    assert (await problem(missing, 404))["code"] == "coach_not_found"
