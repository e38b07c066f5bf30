"""Step 2 of booking: private session details, encrypted at rest, seen by client and coach."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from booking.storage.bookings import Booking
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_payment import held, pro
from tests.booking.support import Caller, Client, make_user, problem
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared

NOTE = "We keep arguing about money since the baby came."
DETAILS = {
    "focus_area": "Communication",
    "notes_for_coach": NOTE,
    "preferred_name": "Cleo",
    "assessment_answers": {"q1": "often", "q2": 4, "together_over_5_years": True},
}


async def patch(client: Client, caller: Caller, booking_id: str, body: dict[str, Any]) -> Any:
    return await client.patch(f"/api/bookings/{booking_id}", json=body, headers=caller.headers)


async def read(client: Client, caller: Caller, booking_id: str) -> Any:
    return await client.get(f"/api/bookings/{booking_id}/details", headers=caller.headers)


async def test_client_and_coach_see_the_details(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    saved = await patch(client, member, booking["id"], DETAILS)
    assert saved.status == 200, await saved.text()
    assert await saved.json() == DETAILS
    for caller in (member, pro[0]):
        seen = await read(client, caller, booking["id"])
        assert seen.status == 200
        assert await seen.json() == DETAILS


async def test_details_are_encrypted_at_rest_and_not_logged(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    booking = await held(client, member, pro[1])
    assert (await patch(client, member, booking["id"], DETAILS)).status == 200
    assert (await read(client, pro[0], booking["id"])).status == 200
    async with services.db.session() as session:
        row = await session.get(Booking, uuid.UUID(booking["id"]))
    assert row is not None
    assert row.details is not None
    # Long needles only: a short one can turn up in base64 by chance.
    for secret in (b"arguing about money", b"Communication", b"together_over_5_years"):
        assert secret not in row.details
    assert "arguing" not in caplog.text
    assert "Communication" not in caplog.text
    assert f"booking {booking['id']} details read by user {pro[0].user_id}" in caplog.text


async def test_nobody_else_sees_the_details(
    client: Client, services: Services, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    assert (await patch(client, member, booking["id"], DETAILS)).status == 200
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    for caller in (stranger, admin):
        refused = await problem(await read(client, caller, booking["id"]), 404)
        assert refused["code"] == "booking_not_found"
    assert (await problem(await patch(client, stranger, booking["id"], DETAILS), 404))[
        "code"
    ] == "booking_not_found"
    assert (await problem(await patch(client, pro[0], booking["id"], DETAILS), 403))[
        "code"
    ] == "forbidden"


async def test_only_the_fields_sent_change(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    assert (await patch(client, member, booking["id"], DETAILS)).status == 200
    changed = await patch(
        client, member, booking["id"], {"focus_area": "Trust", "notes_for_coach": None}
    )
    assert await changed.json() == {
        **DETAILS,
        "focus_area": "Trust",
        "notes_for_coach": None,
    }


async def test_a_booking_without_details_reads_empty(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    seen = await (await read(client, pro[0], booking["id"])).json()
    assert seen == {
        "focus_area": None,
        "notes_for_coach": None,
        "preferred_name": None,
        "assessment_answers": {},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"focus_area": "x" * 201}, "focus_area"),
        ({"notes_for_coach": "x" * 4001}, "notes_for_coach"),
        ({"preferred_name": "x" * 81}, "preferred_name"),
        ({"assessment_answers": {f"q{n}": 1 for n in range(51)}}, "assessment_answers"),
        ({"assessment_answers": {"q1": "x" * 1001}}, "assessment_answers"),
        ({"assessment_answers": {"q1": {"nested": 1}}}, "assessment_answers"),
        ({"assessment_answers": {"q1": 1.5}}, "assessment_answers"),
        ({"mood": "fine"}, "mood"),
        ({}, "(body)"),
    ],
)
async def test_bad_details_are_refused(
    client: Client, member: Caller, pro: tuple[Caller, str], body: dict[str, Any], field: str
) -> None:
    booking = await held(client, member, pro[1])
    refused = await problem(await patch(client, member, booking["id"], body), 422)
    assert refused["code"] == "validation_failed"
    assert field in [e["field"] for e in refused["errors"]]
    assert "x" * 100 not in refused["detail"]  # the answer itself is not echoed
    assert (await (await read(client, member, booking["id"])).json())["focus_area"] is None


async def test_details_need_a_live_booking(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    booking = await held(client, member, pro[1])
    clock.advance(10 * 60 + 1)
    expired = await problem(await patch(client, member, booking["id"], DETAILS), 409)
    assert expired["code"] == "hold_expired"
    other = await held(client, member, pro[1])
    cancel = await client.post(
        f"/api/bookings/{other['id']}/cancel",
        json={"reason": "changed my mind"},
        headers=member.headers,
    )
    assert cancel.status == 200
    refused = await problem(await patch(client, member, other["id"], DETAILS), 409)
    assert refused["code"] == "illegal_transition"
