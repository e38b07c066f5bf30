"""Reads and writes of session details are audited; admins read the log, and that is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_details import DETAILS, patch, read
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import held, pro
from tests.booking.support import Caller, Client, make_user, problem

__all__ = ["pro"]  # the fixture, shared


async def audit_page(client: Client, caller: Caller, query: str = "") -> Any:
    return await client.get(f"/api/admin/audit{query}", headers=caller.headers)


async def test_every_read_and_write_of_details_is_audited_with_ids_only(
    client: Client,
    services: Services,
    member: Caller,
    admin: Caller,
    pro: tuple[Caller, str],
) -> None:
    booking = await held(client, member, pro[1])
    other = await held(client, member, pro[1], TUESDAY_9AM + timedelta(hours=2))
    assert (await patch(client, member, booking["id"], DETAILS)).status == 200
    assert (await read(client, pro[0], booking["id"])).status == 200
    assert (await read(client, member, other["id"])).status == 200
    answer = await audit_page(client, admin, f"?booking_id={booking['id']}")
    assert answer.status == 200, await answer.text()
    page = await answer.json()
    rows = [(e["action"], e["actor_id"], e["item_id"]) for e in page["entries"]]
    assert rows == [
        ("audit.read", str(admin.user_id), None),
        ("details.read", str(pro[0].user_id), "details"),
        ("details.write", str(member.user_id), "details"),
    ]
    assert {e["address"] for e in page["entries"]} == {"127.0.0.1"}
    assert {e["booking_id"] for e in page["entries"]} == {booking["id"]}
    assert "arguing" not in await answer.text()
    assert await services.audit.verify() == []


async def test_the_log_pages_and_filters_by_user(
    client: Client, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    for _ in range(3):
        assert (await read(client, member, booking["id"])).status == 200
    first = await (await audit_page(client, admin, f"?user_id={member.user_id}&limit=2")).json()
    assert [e["action"] for e in first["entries"]] == ["details.read", "details.read"]
    second = await (
        await audit_page(
            client, admin, f"?user_id={member.user_id}&limit=2&before={first['next_before']}"
        )
    ).json()
    assert [e["action"] for e in second["entries"]] == ["details.read"]
    assert second["next_before"] is None
    # The admin's own reads are in the log under the admin, naming the user they looked up.
    own = await (await audit_page(client, admin, f"?user_id={admin.user_id}")).json()
    assert [e["item_id"] for e in own["entries"]] == [
        f"user:{admin.user_id}",
        f"user:{member.user_id}",
        f"user:{member.user_id}",
    ]


async def test_only_admins_read_the_log(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    for caller in (member, pro[0], await make_user(services, Role.CLIENT, "Sam Stranger")):
        refused = await problem(await audit_page(client, caller), 403)
        assert refused["code"] == "forbidden"
    assert (await problem(await client.get("/api/admin/audit"), 401))["code"] == "unauthenticated"
    assert await services.audit.page() == []


async def test_a_bad_filter_is_refused(client: Client, admin: Caller) -> None:
    refused = await problem(await audit_page(client, admin, "?booking_id=nope&limit=0"), 422)
    assert {e["field"] for e in refused["errors"]} == {"booking_id", "limit"}
