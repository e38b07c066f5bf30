"""A verified coach's new name or photo waits for an admin; bio and rates do not."""

from __future__ import annotations

from typing import Any

from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    apply,
    approve,
    get_json,
    listed_coach,
    problem,
)

NEW_PHOTO = "https://images.example.org/someone-else.jpg"


async def edit(client: Client, coach: Caller, **changes: Any) -> dict[str, Any]:
    response = await client.patch("/api/coaches/me", json=changes, headers=coach.headers)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def reject(client: Client, admin: Caller, application_id: str) -> None:
    response = await client.post(
        f"/api/admin/applications/{application_id}/reject",
        json={"reason": "The photo is not of you."},
        headers=admin.headers,
    )
    assert response.status == 200, await response.text()


async def test_name_and_photo_wait_for_review_while_bio_and_rates_do_not(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    rates = [{"session_type": "video", "rate_minor": 15000, "durations": [50]}]
    me = await edit(
        client,
        coach,
        display_name="Dr Someone Else",
        photo_url=NEW_PHOTO,
        bio="Now in Lisbon.",
        offerings=rates,
    )
    assert (me["display_name"], me["bio"]) == ("Dr Ann Lee", "Now in Lisbon.")
    [change] = [a for a in me["applications"] if a["kind"] == "profile_change"]
    assert change["status"] == "pending"
    assert (change["proposed_display_name"], change["proposed_photo_url"]) == (
        "Dr Someone Else",
        NEW_PHOTO,
    )
    public = await get_json(client, f"/api/coaches/{coach_id}")
    assert (public["display_name"], public["photo_url"]) == (
        "Dr Ann Lee",
        "https://images.example.org/ann.jpg",
    )
    assert (public["bio"], public["session_types"]) == (
        "Now in Lisbon.",
        [{**rates[0], "dial_in": False}],
    )

    # A second change while one is pending is refused, saying why.
    response = await client.patch(
        "/api/coaches/me", json={"display_name": "Dr Third Name"}, headers=coach.headers
    )
    assert (await problem(response, 409))["code"] == "application_exists"

    queue = await get_json(client, "/api/admin/applications", admin, status="pending")
    assert [i["kind"] for i in queue["items"]] == ["profile_change"]
    await approve(client, admin, change["id"])
    public = await get_json(client, f"/api/coaches/{coach_id}")
    assert (public["display_name"], public["photo_url"]) == ("Dr Someone Else", NEW_PHOTO)
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["verification"]["status"] == "verified"


async def test_a_rejected_change_leaves_the_profile_as_it_was(
    client: Client, services: Services, admin: Caller
) -> None:
    coach, coach_id = await listed_coach(client, services, admin)
    me = await edit(client, coach, photo_url=NEW_PHOTO)
    [change] = [a for a in me["applications"] if a["kind"] == "profile_change"]
    await reject(client, admin, change["id"])
    public = await get_json(client, f"/api/coaches/{coach_id}")
    assert public["photo_url"] == "https://images.example.org/ann.jpg"
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["verification"]["listed"] is True


async def test_a_coach_not_yet_verified_changes_them_at_once(client: Client, coach: Caller) -> None:
    await apply(client, coach)
    me = await edit(client, coach, display_name="Dr Ann Lee-Smith", photo_url=NEW_PHOTO)
    assert (me["display_name"], me["photo_url"]) == ("Dr Ann Lee-Smith", NEW_PHOTO)
    assert [a["kind"] for a in me["applications"]] == ["initial"]


async def test_a_look_alike_name_is_refused(client: Client, coach: Caller) -> None:
    await apply(client, coach)
    response = await client.patch(
        "/api/coaches/me", json={"display_name": "Dr \u0410nn Lee"}, headers=coach.headers
    )
    body = await problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["display_name"]
