"""Badges: listed publicly, created, granted and revoked by admins, shown on profiles."""

from __future__ import annotations

import uuid

from realtime.wiring import Services
from tests.booking.support import Caller, Client, get_json, listed_coach, problem


async def test_admins_grant_and_revoke_badges(
    client: Client, services: Services, admin: Caller, member: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    badges = await get_json(client, "/api/badges")
    assert "gottman-certified" in [b["slug"] for b in badges["items"]]
    path = f"/api/admin/coaches/{coach_id}/badges/gottman-certified"

    assert (await client.put(path, headers=member.headers)).status == 403
    assert (await client.put(path, headers=coach.headers)).status == 403
    assert (await client.put(path, headers=admin.headers)).status == 204
    assert (await client.put(path, headers=admin.headers)).status == 204  # idempotent
    card = (await get_json(client, "/api/coaches"))["items"][0]
    assert card["badges"] == [{"slug": "gottman-certified", "name": "Certified Gottman therapist"}]
    profile = await get_json(client, f"/api/coaches/{coach_id}")
    assert [b["slug"] for b in profile["badges"]] == ["gottman-certified"]

    assert (await client.delete(path, headers=admin.headers)).status == 204
    assert (await client.delete(path, headers=admin.headers)).status == 204
    assert (await get_json(client, f"/api/coaches/{coach_id}"))["badges"] == []
    me = await get_json(client, "/api/coaches/me", coach)
    assert [(e["action"], e["note"], e["actor_id"]) for e in me["events"]] == [
        ("badge_granted", "gottman-certified", str(admin.user_id)),
        ("badge_revoked", "gottman-certified", str(admin.user_id)),
    ]


async def test_unknown_badge_or_coach_is_not_found(
    client: Client, services: Services, admin: Caller
) -> None:
    _, coach_id = await listed_coach(client, services, admin)
    no_badge = await client.put(
        f"/api/admin/coaches/{coach_id}/badges/wizard", headers=admin.headers
    )
    assert (await problem(no_badge, 404))["code"] == "badge_not_found"
    no_coach = await client.put(
        f"/api/admin/coaches/{uuid.uuid4()}/badges/imago", headers=admin.headers
    )
    assert (await problem(no_coach, 404))["code"] == "coach_not_found"


async def test_admins_create_badges_once(client: Client, admin: Caller, member: Caller) -> None:
    body = {"slug": "ifs-trained", "name": "IFS trained", "description": "Internal Family Systems."}
    assert (await client.post("/api/admin/badges", json=body, headers=member.headers)).status == 403
    created = await client.post("/api/admin/badges", json=body, headers=admin.headers)
    assert created.status == 201
    again = await client.post("/api/admin/badges", json=body, headers=admin.headers)
    assert (await problem(again, 409))["code"] == "badge_exists"
    bad = await client.post(
        "/api/admin/badges", json={**body, "slug": "Not A Slug"}, headers=admin.headers
    )
    assert (await problem(bad, 422))["errors"][0]["field"] == "slug"
    slugs = [b["slug"] for b in (await get_json(client, "/api/badges"))["items"]]
    assert slugs.count("ifs-trained") == 1
