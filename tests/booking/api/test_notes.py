"""Session notes: the coach's private note and the shared one, versioned, sealed, audited,
refused to everyone else with nothing stored."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.storage.notes import NoteVersion
from realtime.audit import AuditRow
from realtime.auth.models import Role
from realtime.vault import DataKey
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, held, pro
from tests.booking.support import Caller, Client, make_user, problem
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared

PRIVATE = "Client seems to minimise the conflict about the in-laws."
SHARED = "Homework: each of you write down three things you appreciated this week."


async def write(client: Client, caller: Caller, booking_id: str, audience: str, text: str) -> Any:
    return await client.post(
        f"/api/bookings/{booking_id}/notes",
        json={"audience": audience, "text": text},
        headers=caller.headers,
    )


async def notes(client: Client, caller: Caller, booking_id: str) -> Any:
    return await client.get(f"/api/bookings/{booking_id}/notes", headers=caller.headers)


async def test_the_coach_keeps_both_notes_with_every_version(
    client: Client, member: Caller, pro: tuple[Caller, str], clock: FakeClock
) -> None:
    coach = pro[0]
    booking = await booked(client, member, pro[1])
    first = await write(client, coach, booking["id"], "private", "first thoughts")
    assert first.status == 201, await first.text()
    assert (await first.json())["version"] == 1
    clock.advance(60)
    assert (await write(client, coach, booking["id"], "private", PRIVATE)).status == 201
    assert (await write(client, coach, booking["id"], "shared", SHARED)).status == 201
    seen = await (await notes(client, coach, booking["id"])).json()
    private = seen["private"]
    assert private["latest"]["text"] == PRIVATE
    assert [(v["version"], v["text"]) for v in private["history"]] == [
        (2, PRIVATE),
        (1, "first thoughts"),
    ]
    assert {v["author_id"] for v in private["history"]} == {str(coach.user_id)}
    assert private["history"][0]["created_at"] > private["history"][1]["created_at"]
    assert seen["shared"]["latest"]["text"] == SHARED


async def test_the_client_reads_only_the_shared_note_and_writes_none(
    client: Client, member: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await write(client, pro[0], booking["id"], "private", PRIVATE)).status == 201
    assert (await write(client, pro[0], booking["id"], "shared", SHARED)).status == 201
    answer = await notes(client, member, booking["id"])
    seen = await answer.json()
    assert seen["private"] is None
    assert seen["shared"]["latest"]["text"] == SHARED
    assert "in-laws" not in await answer.text()
    for audience in ("private", "shared"):
        refused = await problem(await write(client, member, booking["id"], audience, "x"), 403)
        assert refused["code"] == "forbidden"


async def test_nobody_else_reads_or_writes_notes_and_nothing_is_stored(
    client: Client, services: Services, member: Caller, admin: Caller, pro: tuple[Caller, str]
) -> None:
    booking = await booked(client, member, pro[1])
    other_coach = await make_user(services, Role.COACH, "Dr Other")
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    for caller in (other_coach, stranger, admin):
        assert (await problem(await notes(client, caller, booking["id"]), 404))[
            "code"
        ] == "booking_not_found"
    refused = await problem(await write(client, other_coach, booking["id"], "shared", SHARED), 404)
    assert refused["code"] == "booking_not_found"
    missing = await write(client, pro[0], str(uuid.uuid4()), "shared", SHARED)
    assert (await problem(missing, 404))["code"] == "booking_not_found"
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoteVersion)) == 0
        # Not even a data key was made for the refused writes.
        assert await session.scalar(select(func.count()).select_from(DataKey)) == 0
        assert await session.scalar(select(func.count()).select_from(AuditRow)) == 0


async def test_notes_need_a_session(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str]
) -> None:
    hold = await held(client, member, pro[1], TUESDAY_9AM + timedelta(hours=2))
    refused = await problem(await write(client, pro[0], hold["id"], "shared", SHARED), 409)
    assert refused["code"] == "booking_not_confirmed"
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoteVersion)) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"audience": "shared", "text": ""},
        {"audience": "shared", "text": "x" * 20_001},
        {"audience": "everyone", "text": "hi"},
        {"text": "hi"},
        {"audience": "shared", "text": "hi", "mood": "fine"},
    ],
)
async def test_bad_notes_are_refused(
    client: Client, services: Services, member: Caller, pro: tuple[Caller, str], body: Any
) -> None:
    booking = await booked(client, member, pro[1])
    answer = await client.post(
        f"/api/bookings/{booking['id']}/notes", json=body, headers=pro[0].headers
    )
    assert (await problem(answer, 422))["code"] == "validation_failed"
    async with services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(NoteVersion)) == 0


async def test_notes_are_sealed_bound_to_their_row_audited_and_not_logged(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    booking = await booked(client, member, pro[1])
    assert (await write(client, pro[0], booking["id"], "private", PRIVATE)).status == 201
    assert (await write(client, pro[0], booking["id"], "shared", SHARED)).status == 201
    assert (await notes(client, member, booking["id"])).status == 200
    async with services.db.session() as session:
        rows = (await session.scalars(select(NoteVersion).order_by(NoteVersion.audience))).all()
        actions = (
            await session.execute(select(AuditRow.action, AuditRow.actor_id, AuditRow.item_id))
        ).all()
    for row in rows:
        assert b"in-laws" not in row.body
        assert b"appreciated" not in row.body
        assert row.body[0] == 1
    assert "in-laws" not in caplog.text
    assert "appreciated" not in caplog.text
    writes = [(a, u, i) for a, u, i in actions if a == "notes.write"]
    assert [u for _, u, _ in writes] == [pro[0].user_id, pro[0].user_id]
    assert {i for _, _, i in writes} == {f"note:{row.id}" for row in rows}
    assert ("notes.read", member.user_id, "notes:shared") in actions
    assert await services.audit.verify() == []


@pytest.mark.parametrize("damage", ["flip", "swap"])
async def test_a_damaged_or_moved_note_is_reported_not_shown(
    client: Client,
    services: Services,
    member: Caller,
    pro: tuple[Caller, str],
    caplog: pytest.LogCaptureFixture,
    damage: str,
) -> None:
    booking = await booked(client, member, pro[1])
    assert (await write(client, pro[0], booking["id"], "private", PRIVATE)).status == 201
    assert (await write(client, pro[0], booking["id"], "shared", SHARED)).status == 201
    async with services.db.session() as session:
        private, shared = (
            await session.scalars(select(NoteVersion).order_by(NoteVersion.audience))
        ).all()
        if damage == "flip":
            body = bytearray(shared.body)
            body[-3] ^= 0x20
            shared.body = bytes(body)
        else:  # the private note's ciphertext copied into the shared row
            shared.body = private.body
    broken = await problem(await notes(client, member, booking["id"]), 500)
    assert broken["code"] == "sealed_data_damaged"
    assert "in-laws" not in str(broken)
    assert f"note:{shared.id} of booking:{booking['id']} does not open" in caplog.text
