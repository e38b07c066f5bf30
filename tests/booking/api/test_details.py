"""Step 2 of booking: private session details, encrypted at rest, seen by client and coach."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import orjson
import pytest

from booking.storage.bookings import Booking
from realtime import resealing
from realtime.auth.models import Role, User
from realtime.keys import fernet
from realtime.vault import DataKey, booking_scope, user_scope
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
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


async def test_a_flipped_byte_in_stored_details_is_reported_not_shown(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    booking = await held(client, member, pro[1])
    assert (await patch(client, member, booking["id"], DETAILS)).status == 200
    booking_id = uuid.UUID(booking["id"])
    async with services.db.session() as session:
        row = await session.get(Booking, booking_id)
        assert row is not None
        assert row.details is not None
        damaged = bytearray(row.details)
        damaged[len(damaged) // 2] ^= 0x04
        row.details = bytes(damaged)
    for caller in (member, pro[0]):
        broken = await problem(await read(client, caller, booking["id"]), 500)
        assert broken["code"] == "sealed_data_damaged"
        assert "arguing" not in str(broken)
    # Nothing is lost by an edit either: the damaged value is refused, not overwritten.
    refused = await problem(await patch(client, member, booking["id"], {"focus_area": "x"}), 500)
    assert refused["code"] == "sealed_data_damaged"
    assert f"details of booking:{booking_id} does not open" in caplog.text
    assert "arguing" not in caplog.text


async def test_details_moved_to_another_booking_do_not_open(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    first = await held(client, member, pro[1])
    second = await held(client, member, pro[1], TUESDAY_9AM + timedelta(hours=2))
    assert (await patch(client, member, first["id"], DETAILS)).status == 200
    async with services.db.session() as session:
        source = await session.get(Booking, uuid.UUID(first["id"]))
        target = await session.get(Booking, uuid.UUID(second["id"]))
        assert source is not None
        assert target is not None
        target.details = source.details
    moved = await problem(await read(client, member, second["id"]), 500)
    assert moved["code"] == "sealed_data_damaged"


async def test_values_sealed_under_secret_key_move_into_the_vault(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What the Fernet keys derived from SECRET_KEY sealed before the vault is re-sealed (the
    step `flourish migrate` and every start run), readable as before, and only once."""
    settings = services.settings
    booking = await held(client, member, pro[1])
    other = await held(client, member, pro[1], TUESDAY_9AM + timedelta(hours=2))
    booking_id, other_id = uuid.UUID(booking["id"]), uuid.UUID(other["id"])
    unreadable = fernet("another-secret-key-rotated-too-early-0123", "booking-details")
    async with services.db.session() as session:
        row = await session.get(Booking, booking_id)
        lost = await session.get(Booking, other_id)
        user = await session.get(User, member.user_id)
        assert row is not None
        assert lost is not None
        assert user is not None
        row.details = fernet(settings.secret_key, "booking-details").encrypt(orjson.dumps(DETAILS))
        row.cancel_note = fernet(settings.secret_key, "booking-cancel-note").encrypt(b"moved out")
        user.totp_secret = fernet(settings.secret_key, "totp").encrypt(b"JBSWY3DPEHPK3PXP")
        lost.details = unreadable.encrypt(b"{}")
    assert await resealing.reseal(settings, services.db, services.sealer, batch=1) == 3
    assert await resealing.reseal(settings, services.db, services.sealer) == 0
    assert await (await read(client, member, booking["id"])).json() == DETAILS
    async with services.db.session() as session:
        row = await session.get(Booking, booking_id)
        lost = await session.get(Booking, other_id)
        user = await session.get(User, member.user_id)
        assert row is not None
        assert lost is not None
        assert user is not None
        assert row.cancel_note is not None
        assert user.totp_secret is not None
        assert row.details is not None
        assert row.details[0] == 1
        scope = booking_scope(booking_id)
        assert await services.sealer.open(scope, "cancel-note", row.cancel_note) == b"moved out"
        totp = await services.sealer.open(user_scope(member.user_id), "totp", user.totp_secret)
        assert totp == b"JBSWY3DPEHPK3PXP"
        assert lost.details is not None
        assert lost.details.startswith(b"gAAAAA")
    assert f"bookings.details of row {other_id} does not open under SECRET_KEY" in caplog.text


async def test_a_refused_edit_stores_nothing_not_even_a_key(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await held(client, member, pro[1])
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    assert (await patch(client, stranger, booking["id"], DETAILS)).status == 404
    assert (await patch(client, pro[0], booking["id"], DETAILS)).status == 403
    async with services.db.session() as session:
        row = await session.get(Booking, uuid.UUID(booking["id"]))
        assert row is not None
        assert row.details is None
        assert await session.get(DataKey, booking_scope(booking["id"])) is None
