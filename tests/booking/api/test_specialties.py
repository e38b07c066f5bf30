"""The managed specialty list and the professional agreement."""

from __future__ import annotations

from booking.storage.reference import AGREEMENT_VERSION, SPECIALTIES
from tests.booking.support import Caller, Client, apply, get_json, problem


async def test_specialties_are_listed_and_admins_add_to_them(
    client: Client, admin: Caller, coach: Caller
) -> None:
    listed = await get_json(client, "/api/specialties")
    assert {s["slug"] for s in listed["items"]} == {slug for slug, _ in SPECIALTIES}
    body = {"slug": "polyamory", "name": "Consensual non-monogamy", "description": ""}
    assert (
        await client.post("/api/admin/specialties", json=body, headers=coach.headers)
    ).status == 403
    created = await client.post("/api/admin/specialties", json=body, headers=admin.headers)
    assert created.status == 201
    again = await client.post("/api/admin/specialties", json=body, headers=admin.headers)
    assert (await problem(again, 409))["code"] == "specialty_exists"
    submitted = await apply(client, coach, specialties=["polyamory"])
    assert submitted["status"] == "pending"


async def test_current_agreement_is_public(client: Client) -> None:
    agreement = await get_json(client, "/api/agreements/current")
    assert agreement["version"] == AGREEMENT_VERSION
    assert agreement["title"] == "Flourish professional agreement"
    assert "credentials" in agreement["body"]
