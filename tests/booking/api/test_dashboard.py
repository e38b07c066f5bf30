"""The coach dashboard over real bookings: paid through the demo provider, decided by the
attendance rules on the fake clock, with chat and reviews through their services."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from realtime.auth.models import Role
from realtime.tasks import repeat
from realtime.wiring import Services
from tests.booking.api.test_holds import TUESDAY_9AM
from tests.booking.api.test_payment import booked, pro, status_of
from tests.booking.support import Caller, Client, get_json, get_query, make_user, problem
from tests.support.clock import FakeClock

__all__ = ["pro"]  # the fixture, shared

DASHBOARD = "/api/coaches/me/dashboard"
HOUR = timedelta(hours=1)


async def jobs_at_rest() -> None:
    """Wait until the background jobs a clock move woke (`realtime.tasks.repeat`) sleep again,
    so the test does not end with one inside the database (its cancelled SQLite connection
    would be closed after the event loop)."""
    for _ in range(250):
        if not any(_working(task) for task in asyncio.all_tasks()):
            return
        await asyncio.sleep(0.02)


def _working(task: asyncio.Task[Any]) -> bool:
    coro = task.get_coro()
    if getattr(coro, "cr_code", None) is not repeat.__code__:
        return False
    inner = getattr(coro, "cr_await", None)
    return getattr(inner, "cr_code", None) is not FakeClock.sleep.__code__


def start_of(booking: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(booking["starts_at"])


def end_of(booking: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(booking["ends_at"])


async def send(services: Services, booking: dict[str, Any], who: Caller, role: str) -> None:
    await services.scheduling.messages.send(
        uuid.UUID(booking["id"]), who.user_id, role, uuid.uuid4().hex, "hello"
    )


async def test_rates_come_from_decided_sessions_and_clients_are_first_names(
    client: Client, services: Services, clock: FakeClock, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach, coach_id = pro
    dana = await make_user(services, Role.CLIENT, "Dana Q. Smith")
    a = await booked(client, member, coach_id, TUESDAY_9AM)
    b = await booked(client, dana, coach_id, TUESDAY_9AM + 2 * HOUR)
    c = await booked(client, member, coach_id, TUESDAY_9AM + 4 * HOUR)
    d = await booked(client, dana, coach_id, TUESDAY_9AM + 24 * HOUR)

    before = await client.get(DASHBOARD, headers=coach.headers)
    assert before.status == 200, await before.text()
    text = await before.text()
    for private in ("Cleo Client", "Smith", "Q.", "@example.org"):
        assert private not in text
    first = await before.json()
    assert [(s["booking_id"], s["client_first_name"]) for s in first["upcoming"]["sessions"]] == [
        (a["id"], "Cleo"),
        (b["id"], "Dana"),
        (c["id"], "Cleo"),
        (d["id"], "Dana"),
    ]
    assert first["upcoming"]["to"] is None
    assert first["history"]["sessions"] == []
    assert first["completion_rate"] | {"from": None, "to": None} == {
        "from": None,
        "to": None,
        "rate": None,
        "count": 0,
        "decided": 0,
    }
    assert first["median_response_seconds"]["chat"] is None
    assert first["retention"]["rate"] is None

    # a: both there, with a chat; b: the client never came; c: the coach never came.
    attendance = services.scheduling.attendance
    clock.set(start_of(a))
    await attendance.joined(uuid.UUID(a["id"]), coach.user_id, "coach")
    await attendance.joined(uuid.UUID(a["id"]), member.user_id, "client")
    for minute, who, role in [
        (1, member, "client"),
        (2, member, "client"),  # answered together with the one before: 3 minutes
        (4, coach, "coach"),
        (5, coach, "coach"),
        (10, member, "client"),
        (11, coach, "coach"),  # 1 minute
        (12, member, "client"),  # never answered: not measured
    ]:
        clock.set(start_of(a) + timedelta(minutes=minute))
        await send(services, a, who, role)
    clock.set(start_of(b))
    await attendance.joined(uuid.UUID(b["id"]), coach.user_id, "coach")
    clock.set(start_of(c))
    await attendance.joined(uuid.UUID(c["id"]), member.user_id, "client")
    clock.set(end_of(c) + timedelta(minutes=3))
    for x in (a, b, c):  # unless the hard stop's timer decided it already (with Redis)
        await attendance.decide(uuid.UUID(x["id"]))
    decided = [await status_of(client, coach, x["id"]) for x in (a, b, c)]
    assert decided == ["completed", "no_show_client", "no_show_coach"]
    await services.coaching.reviews.record(
        coach_id=uuid.UUID(coach_id), client_id=member.user_id, rating=5
    )
    await services.coaching.reviews.record(
        coach_id=uuid.UUID(coach_id), client_id=dana.user_id, rating=4
    )

    after = await get_json(client, DASHBOARD, coach)
    assert [s["booking_id"] for s in after["upcoming"]["sessions"]] == [d["id"]]
    assert [(s["booking_id"], s["status"]) for s in after["history"]["sessions"]] == [
        (c["id"], "no_show_coach"),
        (b["id"], "no_show_client"),
        (a["id"], "completed"),
    ]
    third = 1 / 3
    for name in ("completion_rate", "no_show_client_rate", "no_show_coach_rate"):
        assert (after[name]["rate"], after[name]["count"], after[name]["decided"]) == (
            third,
            1,
            3,
        )
    assert after["median_response_seconds"] | {"from": None, "to": None} == {
        "from": None,
        "to": None,
        "chat": 120,
        "chat_answers": 2,
    }
    # Cleo completed a and had booked c, starting after a's end: retained, one of one.
    retention = after["retention"]
    assert (retention["retained"], retention["clients"], retention["rate"]) == (1, 1, 1.0)
    assert retention["window_days"] == 60
    rating = after["rating"]
    assert (rating["average"], rating["count"], rating["from"]) == (4.5, 2, None)
    assert [(m["month"], m["average"], m["count"]) for m in rating["trend"]] == [
        ("2025-10", None, 0),
        ("2025-11", None, 0),
        ("2025-12", None, 0),
        ("2026-01", None, 0),
        ("2026-02", None, 0),
        ("2026-03", 4.5, 2),
    ]
    # The ledger's own figures: this month's are the earnings API's; earlier months zero.
    earnings = await get_json(client, "/api/coaches/me/earnings", coach)
    (march,) = earnings["periods"]
    months = after["earnings_by_month"]
    assert [(m["month"], m["currency"]) for m in months][-2:] == [
        ("2026-02", "USD"),
        ("2026-03", "USD"),
    ]
    assert len(months) == 6
    assert all(m["gross"] == m["net"] == 0 for m in months[:-1])
    latest = months[-1]
    assert {k: latest[k] for k in ("gross", "commission", "refunds", "net")} == {
        k: march[k]["minor"] for k in ("gross", "commission", "refunds", "net")
    }
    assert latest["gross"] == 40000
    assert latest["refunds"] == 10000  # c: the coach's no-show refunds the client in full
    await jobs_at_rest()


async def test_months_are_counted_in_the_coachs_zone(
    client: Client, clock: FakeClock, member: Caller, pro: tuple[Caller, str]
) -> None:
    coach, coach_id = pro
    # 22:00 on 31 March in New York is already April in UTC.
    clock.set(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    session = await booked(client, member, coach_id, datetime(2026, 4, 2, 13, 0, tzinfo=UTC))

    found = await get_query(client, DASHBOARD, {"months": 2}, coach)
    assert found["time_zone"] == "America/New_York"
    assert found["period"] == {"from": "2026-02-01T05:00:00Z", "to": "2026-04-01T02:00:00Z"}
    assert [(m["month"], m["from"], m["to"], m["gross"]) for m in found["earnings_by_month"]] == [
        ("2026-02", "2026-02-01T05:00:00Z", "2026-03-01T05:00:00Z", 0),
        ("2026-03", "2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z", 10000),
    ]
    assert [s["booking_id"] for s in found["upcoming"]["sessions"]] == [session["id"]]
    assert found["upcoming"]["from"] == "2026-04-01T02:00:00Z"
    assert found["completion_rate"]["from"] == "2026-02-01T05:00:00Z"
    # The earnings API reads months in UTC: the same charge is April's there.
    earnings = await get_json(client, "/api/coaches/me/earnings", coach)
    assert [p["period"] for p in earnings["periods"]] == ["2026-04"]
    this_month = await get_query(client, DASHBOARD, {"months": 1}, coach)
    assert [m["month"] for m in this_month["earnings_by_month"]] == ["2026-03"]
    await jobs_at_rest()


async def test_the_dashboard_is_the_coachs_own(
    client: Client, member: Caller, coach: Caller
) -> None:
    refused = await problem(await client.get(DASHBOARD, headers=member.headers), 403)
    assert refused["code"] == "forbidden"
    missing = await problem(await client.get(DASHBOARD, headers=coach.headers), 404)
    assert missing["code"] == "not_a_coach"
    for months in ("0", "25", "six"):
        bad = await client.get(DASHBOARD, params={"months": months}, headers=coach.headers)
        assert (await problem(bad, 422))["errors"][0]["field"] == "months"
    assert (await problem(await client.get(DASHBOARD), 401))["code"] == "unauthenticated"
