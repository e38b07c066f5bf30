"""Applying, deciding and renewing: every step recorded, only approved coaches listed."""

from __future__ import annotations

from datetime import timedelta

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import (
    Caller,
    Client,
    application,
    apply,
    approve,
    get_json,
    make_user,
    problem,
)
from tests.support.clock import FakeClock


async def test_approved_application_puts_the_coach_in_the_directory(
    client: Client, admin: Caller, coach: Caller, clock: FakeClock
) -> None:
    submitted = await apply(client, coach)
    assert submitted["status"] == "pending"
    assert (await get_json(client, "/api/coaches"))["items"] == []
    queue = await get_json(client, "/api/admin/applications", admin)
    assert [a["id"] for a in queue["items"]] == [submitted["id"]]

    clock.advance(3600)
    decided = await approve(client, admin, submitted["id"], reverify_in_days=90, note="ok")

    assert decided["status"] == "approved"
    assert decided["coach_status"] == "verified"
    assert [(e["action"], e["actor_id"]) for e in decided["events"]] == [
        ("submitted", str(coach.user_id)),
        ("approved", str(admin.user_id)),
    ]
    assert [r["name"] for r in decided["references"]] == ["Dr Kim Poe", "Dr Sam Roe"]
    assert all(c["verified"] for c in decided["credentials"])
    directory = await get_json(client, "/api/coaches")
    assert [c["id"] for c in directory["items"]] == [submitted["coach_id"]]
    me = await get_json(client, "/api/coaches/me", coach)
    verification = me["verification"]
    assert verification["status"] == "verified"
    assert verification["reverify_by"].startswith(str((clock.now() + timedelta(days=90)).date()))
    assert (verification["lapsed"], verification["listed"]) == (False, True)


async def test_rejection_keeps_the_coach_unlisted_with_the_reason(
    client: Client, admin: Caller, coach: Caller, clock: FakeClock
) -> None:
    submitted = await apply(client, coach)
    clock.advance(60)
    response = await client.post(
        f"/api/admin/applications/{submitted['id']}/reject",
        json={"reason": "Licence number not found in the NY register."},
        headers=admin.headers,
    )
    assert response.status == 200
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["verification"]["status"] == "rejected"
    (mine,) = me["applications"]
    assert mine["decision_reason"] == "Licence number not found in the NY register."
    assert mine["events"][-1]["action"] == "rejected"
    assert (await get_json(client, "/api/coaches"))["items"] == []
    hidden = await client.get(f"/api/coaches/{submitted['coach_id']}")
    assert (await problem(hidden, 404))["code"] == "coach_not_found"


async def test_reject_needs_a_reason(client: Client, admin: Caller, coach: Caller) -> None:
    submitted = await apply(client, coach)
    response = await client.post(
        f"/api/admin/applications/{submitted['id']}/reject", json={}, headers=admin.headers
    )
    body = await problem(response, 422)
    assert body["errors"][0]["field"] == "reason"


async def test_one_pending_application_at_a_time_and_decisions_are_final(
    client: Client, admin: Caller, coach: Caller
) -> None:
    submitted = await apply(client, coach)
    again = await client.post(
        "/api/coaches/me/application", json=application(), headers=coach.headers
    )
    assert (await problem(again, 409))["code"] == "application_exists"
    await approve(client, admin, submitted["id"])
    twice = await client.post(
        f"/api/admin/applications/{submitted['id']}/reject",
        json={"reason": "changed my mind"},
        headers=admin.headers,
    )
    assert (await problem(twice, 409))["code"] == "application_not_pending"


async def test_outdated_agreement_is_refused(client: Client, coach: Caller) -> None:
    response = await client.post(
        "/api/coaches/me/application",
        json=application(agreement_version="2019-01"),
        headers=coach.headers,
    )
    body = await problem(response, 409)
    assert body["code"] == "agreement_outdated"
    current = await get_json(client, "/api/agreements/current")
    assert current["version"] in body["detail"]
    missing = await client.get("/api/coaches/me", headers=coach.headers)
    assert (await problem(missing, 404))["code"] == "not_a_coach"


async def test_a_rejected_coach_may_apply_again(
    client: Client, admin: Caller, coach: Caller, clock: FakeClock
) -> None:
    first = await apply(client, coach)
    clock.advance(60)
    await client.post(
        f"/api/admin/applications/{first['id']}/reject",
        json={"reason": "References unreachable."},
        headers=admin.headers,
    )
    clock.advance(60)
    second = await apply(client, coach, display_name="Dr Ann B. Lee")
    assert second["coach_id"] == first["coach_id"]
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["display_name"] == "Dr Ann B. Lee"
    assert [a["status"] for a in me["applications"]] == ["pending", "rejected"]


async def test_lapse_hides_the_coach_and_reverification_restores_them(
    client: Client, admin: Caller, coach: Caller, clock: FakeClock
) -> None:
    first = await apply(client, coach)
    await approve(client, admin, first["id"], reverify_in_days=30)
    coach_id = first["coach_id"]

    clock.advance(timedelta(days=30, seconds=1).total_seconds())

    assert (await get_json(client, "/api/coaches"))["items"] == []
    assert (await client.get(f"/api/coaches/{coach_id}")).status == 404
    me = await get_json(client, "/api/coaches/me", coach)
    assert (me["verification"]["lapsed"], me["verification"]["listed"]) == (True, False)

    credentials = [dict(application()["credentials"][0], license_number="LMFT-00999")]
    renewal = await client.post(
        "/api/coaches/me/reverification",
        json={"credentials": credentials, "agreement_version": first["agreement_version"]},
        headers=coach.headers,
    )
    assert renewal.status == 201
    renewed = await renewal.json()
    assert renewed["kind"] == "reverification"
    assert (await get_json(client, "/api/coaches"))["items"] == []
    await approve(client, admin, renewed["id"])

    me = await get_json(client, "/api/coaches/me", coach)
    assert (me["verification"]["lapsed"], me["verification"]["listed"]) == (False, True)
    assert [c["license_number"] for c in me["credentials"]] == ["LMFT-00999"]
    assert [c["id"] for c in (await get_json(client, "/api/coaches"))["items"]] == [coach_id]


async def test_rejected_reverification_leaves_the_coach_as_they_were(
    client: Client, admin: Caller, coach: Caller
) -> None:
    first = await apply(client, coach)
    await approve(client, admin, first["id"])
    renewal = await client.post(
        "/api/coaches/me/reverification",
        json={
            "credentials": application()["credentials"],
            "agreement_version": first["agreement_version"],
        },
        headers=coach.headers,
    )
    renewed = await renewal.json()
    await client.post(
        f"/api/admin/applications/{renewed['id']}/reject",
        json={"reason": "Scan unreadable."},
        headers=admin.headers,
    )
    me = await get_json(client, "/api/coaches/me", coach)
    assert me["verification"]["status"] == "verified"
    assert [c["license_number"] for c in me["credentials"]] == ["LMFT-00123"]
    assert len((await get_json(client, "/api/coaches"))["items"]) == 1


async def test_only_admins_see_and_decide_applications(
    client: Client, services: Services, admin: Caller, coach: Caller, member: Caller
) -> None:
    submitted = await apply(client, coach)
    other = await make_user(services, Role.COACH)
    path = f"/api/admin/applications/{submitted['id']}"
    assert (await client.get(path, headers=other.headers)).status == 403
    assert (await client.get("/api/admin/applications", headers=coach.headers)).status == 403
    refused = await client.post(f"{path}/approve", json={}, headers=member.headers)
    assert (await problem(refused, 403))["code"] == "forbidden"
    assert (await client.post(f"{path}/approve", json={})).status == 401
    as_client = await client.post(
        "/api/coaches/me/application", json=application(), headers=member.headers
    )
    assert as_client.status == 403
    detail = await get_json(client, path, admin)
    assert detail["status"] == "pending"
