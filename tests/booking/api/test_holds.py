"""Step 1 of booking: holding a slot, and the guarantee that no slot is ever held twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from booking.storage.bookings import Booking
from realtime.auth.models import Role
from realtime.settings import Settings
from realtime.wiring import Services
from tests.booking.support import Caller, Client, listed_coach, make_user, problem
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

# The fake clock starts Monday 2026-03-02 09:00 UTC. The coach below works weekdays 09:00-17:00
# in New York; US clocks go forward on Sunday 2026-03-08, so Tuesday 2026-03-10 09:00 is EDT.
TUESDAY_9AM = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
WEEKDAYS = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    """A hundred clients below hold at once, all from the test client's address."""
    return stack.settings_for(tmp_path, hold_attempts_per_address=1000)


@pytest.fixture
async def coach_id(client: Client, services: Services, admin: Caller) -> str:
    _, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    return coach_id


def hold_body(coach_id: str, start: datetime, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "coach_id": coach_id,
        "start": start.isoformat(),
        "session_type": "video",
        "duration": 50,
    }
    body.update(changes)
    return body


async def hold(client: Client, caller: Caller, body: dict[str, Any]) -> Any:
    return await client.post("/api/bookings", json=body, headers=caller.headers)


async def count_bookings(services: Services) -> int:
    async with services.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Booking)) or 0)


async def test_a_hold_fixes_price_and_expiry(
    client: Client, member: Caller, coach_id: str, clock: FakeClock
) -> None:
    response = await hold(client, member, hold_body(coach_id, TUESDAY_9AM))
    assert response.status == 201, await response.text()
    booking = await response.json()
    assert booking["status"] == "held"
    assert booking["starts_at"] == "2026-03-10T13:00:00Z"
    assert booking["ends_at"] == "2026-03-10T13:50:00Z"
    assert booking["price"] == {"minor": 10000, "currency": "USD"}  # 50 min at 120.00/h
    expires = datetime.fromisoformat(booking["hold_expires_at"])
    assert expires == clock.now() + timedelta(minutes=10)
    assert "pay" in booking["actions"]


async def test_a_held_slot_cannot_be_held_again(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    other = await make_user(services, Role.CLIENT, "Otto Other")
    assert (await hold(client, member, hold_body(coach_id, TUESDAY_9AM))).status == 201
    refused = await problem(await hold(client, other, hold_body(coach_id, TUESDAY_9AM)), 409)
    assert refused["code"] == "slot_taken"


async def test_a_hundred_concurrent_holds_give_exactly_one_slot(
    client: Client, services: Services, coach_id: str
) -> None:
    clients = [await make_user(services, Role.CLIENT, f"Client {n}") for n in range(100)]
    responses = await asyncio.gather(
        *(hold(client, c, hold_body(coach_id, TUESDAY_9AM)) for c in clients)
    )
    statuses = sorted(r.status for r in responses)
    assert statuses == [201] + [409] * 99
    assert await count_bookings(services) == 1


async def test_overlapping_but_unequal_holds_give_exactly_one(
    client: Client, services: Services, coach_id: str
) -> None:
    # 50-minute sessions starting 09:00, 09:30 and 10:00 all overlap the 09:30 one (with the
    # default 10-minute buffer after a session, 09:00 and 10:00 overlap each other's blocks too).
    starts = [TUESDAY_9AM + timedelta(minutes=30 * (n % 3)) for n in range(60)]
    clients = [await make_user(services, Role.CLIENT, f"Client {n}") for n in range(60)]
    responses = await asyncio.gather(
        *(hold(client, c, hold_body(coach_id, s)) for c, s in zip(clients, starts, strict=True))
    )
    created = [r for r in responses if r.status == 201]
    assert len(created) in (1, 2)
    assert all(r.status in (201, 409) for r in responses)
    async with services.db.session() as session:
        rows = (await session.scalars(select(Booking))).all()
    for a in rows:
        for b in rows:
            if a.id != b.id:
                assert a.blocked_to <= b.blocked_from or b.blocked_to <= a.blocked_from


async def test_an_expired_hold_frees_the_slot(
    client: Client, services: Services, member: Caller, coach_id: str, clock: FakeClock
) -> None:
    first = await (await hold(client, member, hold_body(coach_id, TUESDAY_9AM))).json()
    clock.advance(10 * 60 + 1)
    other = await make_user(services, Role.CLIENT, "Otto Other")
    second = await hold(client, other, hold_body(coach_id, TUESDAY_9AM))
    assert second.status == 201, await second.text()
    again = await client.get(f"/api/bookings/{first['id']}", headers=member.headers)
    assert (await again.json())["status"] == "expired"


async def test_the_sweeper_expires_holds_on_its_own(
    client: Client, services: Services, member: Caller, coach_id: str, clock: FakeClock
) -> None:
    booking = await (await hold(client, member, hold_body(coach_id, TUESDAY_9AM))).json()
    clock.advance(10 * 60 + 1)
    assert await services.scheduling.bookings.expire_holds() == 1
    again = await client.get(f"/api/bookings/{booking['id']}", headers=member.headers)
    assert (await again.json())["status"] == "expired"
    assert await services.scheduling.bookings.expire_holds() == 0


async def test_only_participants_see_a_booking(
    client: Client, services: Services, member: Caller, coach_id: str
) -> None:
    booking = await (await hold(client, member, hold_body(coach_id, TUESDAY_9AM))).json()
    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    seen = await client.get(f"/api/bookings/{booking['id']}", headers=stranger.headers)
    assert (await problem(seen, 404))["code"] == "booking_not_found"
    mine = await client.get("/api/bookings", params={"when": "upcoming"}, headers=member.headers)
    assert [b["id"] for b in (await mine.json())["items"]] == [booking["id"]]


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"start": "2026-03-01T14:00:00+00:00"}, 422, "slot_in_past", "start"),
        ({"start": "2026-03-02T15:00:00+00:00"}, 422, "slot_too_soon", "start"),
        ({"start": "2026-08-03T13:00:00+00:00"}, 422, "slot_too_far", "start"),
        ({"start": "2026-03-10T13:10:00+00:00"}, 422, "slot_unavailable", "start"),
        ({"start": "2026-03-10T21:30:00+00:00"}, 422, "slot_unavailable", "start"),
        ({"start": "2026-03-14T14:00:00+00:00"}, 422, "slot_unavailable", "start"),
        ({"start": "2026-03-10T13:00:00"}, 422, "validation_failed", "start"),
        ({"duration": 60}, 422, "duration_not_offered", "duration"),
        ({"session_type": "phone"}, 422, "session_type_not_offered", "session_type"),
        ({"session_type": "fax"}, 422, "validation_failed", "session_type"),
        ({"surprise": True}, 422, "validation_failed", "surprise"),
        ({"coach_id": "8c0e0d8e-0000-4000-8000-000000000000"}, 404, "coach_not_found", None),
    ],
)
async def test_bad_holds_are_refused_and_change_nothing(
    client: Client,
    services: Services,
    member: Caller,
    coach_id: str,
    changes: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    body = {**hold_body(coach_id, TUESDAY_9AM), **changes}
    refused = await problem(await hold(client, member, body), status)
    assert refused["code"] == code
    if field:
        assert field in [e["field"] for e in refused["errors"]]
    assert await count_bookings(services) == 0


async def test_an_unverified_coach_cannot_be_booked(
    client: Client, services: Services, member: Caller, coach: Caller
) -> None:
    from tests.booking.support import apply

    submitted = await apply(client, coach, weekly_hours=WEEKDAYS)
    body = hold_body(str(submitted["coach_id"]), TUESDAY_9AM)
    assert (await problem(await hold(client, member, body), 404))["code"] == "coach_not_found"


async def test_coaches_and_admins_cannot_hold(client: Client, admin: Caller, coach_id: str) -> None:
    refused = await problem(await hold(client, admin, hold_body(coach_id, TUESDAY_9AM)), 403)
    assert refused["code"] == "forbidden"
