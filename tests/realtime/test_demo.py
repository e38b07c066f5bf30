"""`flourish serve --demo`: a varied directory, seeded once, and logins that work."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from booking.storage.calendar_imports import ImportedBusy
from booking.storage.coaches import Coach
from realtime.app import SERVICES
from realtime.auth.models import User
from realtime.demo import (
    ADMIN_EMAIL,
    CLIENT_EMAIL,
    COACH_EMAIL,
    DEMO_PASSWORD,
    LOGINS,
    VERIFIED,
    refresh_open,
    seed,
    seed_on_startup,
)
from realtime.demo.conversations import LIVE_CHAT, PRIVATE_NOTE, SHARED_NOTES, add_conversations
from realtime.wiring import Services
from tests.conftest import AiohttpClient

Client = TestClient[Any, Any]


async def listed(client: Client) -> list[dict[str, Any]]:
    page = await (await client.get("/api/coaches", params={"limit": 50})).json()
    assert page["next_cursor"] is None
    cards: list[dict[str, Any]] = page["items"]
    return cards


async def bearer(client: Client, email: str) -> dict[str, str]:
    login = await client.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert login.status == 200, await login.text()
    return {"Authorization": f"Bearer {(await login.json())['tokens']['access_token']}"}


async def test_directory_shows_a_large_varied_demo(services: Services, client: Client) -> None:
    assert await seed(services)
    cards = await listed(client)
    zones = {card["time_zone"] for card in cards}
    rates = [o["rate_minor"] for card in cards for o in card["session_types"]]
    assert len(cards) == VERIFIED >= 30
    assert {zone.split("/")[0] for zone in zones} >= {"America", "Europe", "Asia", "Australia"}
    assert len(zones) >= 10
    assert {"USD", "EUR", "GBP"} <= {card["currency"] for card in cards}
    assert len({s["slug"] for card in cards for s in card["specialties"]}) >= 15
    assert {"en", "es", "fr", "hi", "zh-Hans"} <= {
        tag for card in cards for tag in card["languages"]
    }
    assert 6_000 <= min(rates) < max(rates) <= 25_000
    assert len({card["rating"]["count"] for card in cards}) > 10
    assert any(card["badges"] for card in cards)


async def test_the_readmes_directory_example_finds_coaches(
    services: Services, client: Client
) -> None:
    """README.md's first curl: Spanish-speaking couples therapists, best rated first."""
    assert await seed(services)
    params = {"specialty": "couples-therapy", "language": "es", "sort": "rating"}
    page = await (await client.get("/api/coaches", params=params)).json()
    assert page["items"], "the README's example finds nobody in the demo"
    for card in page["items"]:
        assert "es" in card["languages"]
        assert "couples-therapy" in {s["slug"] for s in card["specialties"]}


async def test_demo_coaches_sit_on_the_published_commission_tiers(
    services: Services, client: Client
) -> None:
    assert await seed(services)
    async with services.db.session() as session:
        tiers = set((await session.scalars(select(Coach.commission_bps))).all())
    assert tiers == {1500, 2000, 2500}  # 15%, 20%, 25%: the admin screen's tiers


async def test_lapsed_coach_is_hidden(services: Services, client: Client) -> None:
    await seed(services)
    async with services.db.session() as session:
        lapsed = select(Coach.id).where(
            Coach.verification_status == "verified", Coach.reverify_by <= services.clock.now()
        )
        (lapsed_id,) = (await session.scalars(lapsed)).all()
    assert lapsed_id not in {card["id"] for card in await listed(client)}
    assert (await client.get(f"/api/coaches/{lapsed_id}")).status == 404


async def test_admin_has_two_applications_to_review(services: Services, client: Client) -> None:
    await seed(services)
    admin = await bearer(client, ADMIN_EMAIL)
    queue = await (await client.get("/api/admin/applications", headers=admin)).json()
    assert len(queue["items"]) == 2
    detail = await client.get(f"/api/admin/applications/{queue['items'][0]['id']}", headers=admin)
    application = await detail.json()
    assert len(application["references"]) >= 2
    assert [event["action"] for event in application["events"]] == ["submitted"]


async def test_seeding_twice_adds_nothing(services: Services, client: Client) -> None:
    assert await seed(services)
    assert not await seed(services)
    assert len(await listed(client)) == VERIFIED


async def test_serve_demo_prints_logins_that_work(
    app: web.Application, aiohttp_client: AiohttpClient, capsys: pytest.CaptureFixture[str]
) -> None:
    app.on_startup.append(seed_on_startup)  # as `flourish serve --demo` does
    client: Client = await aiohttp_client(app)
    printed = capsys.readouterr().out
    assert DEMO_PASSWORD in printed
    for role, email in LOGINS:
        assert email in printed
        me = await client.get("/api/me", headers=await bearer(client, email))
        assert (await me.json())["role"] == role
    # The demo coach's calendar feed, a fresh URL each start, serves their sessions.
    feed = re.search(r"https?://\S+/api/calendar-feeds/\S+\.ics", printed)
    assert feed is not None
    response = await client.get(urlsplit(feed.group()).path)
    assert response.status == 200
    assert b"BEGIN:VEVENT" in await response.read()
    coach = await bearer(client, COACH_EMAIL)
    me = await (await client.get("/api/coaches/me", headers=coach)).json()
    offerings = me["session_types"]
    assert [o["durations"] for o in offerings if o["session_type"] == "video"] == [[20, 90]]


async def test_demo_admin_has_registers_that_credentials_show(
    services: Services, client: Client
) -> None:
    await seed(services)
    admin = await bearer(client, ADMIN_EMAIL)
    registers = await (await client.get("/api/admin/registers", headers=admin)).json()
    assert len(registers["items"]) == 6
    pending = await (
        await client.get("/api/admin/applications", params={"status": "approved"}, headers=admin)
    ).json()
    shown = []
    for item in pending["items"]:
        detail = await (
            await client.get(f"/api/admin/applications/{item['id']}", headers=admin)
        ).json()
        shown += [c["public_register"] for c in detail["credentials"]]
    assert any(register is not None for register in shown)  # the demo's kinds are covered
    assert any(register is None for register in shown)  # and the others offer the form


async def test_other_demo_accounts_cannot_log_in(services: Services, client: Client) -> None:
    await seed(services)
    for email in ("coach01@demo.flourish.example", "reviewer1@demo.flourish.example"):
        login = await client.post(
            "/api/auth/login", json={"email": email, "password": DEMO_PASSWORD}
        )
        assert login.status == 401
    await bearer(client, CLIENT_EMAIL)


async def test_demo_client_has_sessions_and_can_book(services: Services, client: Client) -> None:
    await seed(services)
    headers = await bearer(client, CLIENT_EMAIL)
    upcoming = await (
        await client.get("/api/bookings", params={"when": "upcoming"}, headers=headers)
    ).json()
    # The three live sessions (video, chat, phone) starting now, then two later video sessions.
    assert [b["status"] for b in upcoming["items"]] == ["confirmed"] * 5
    assert [b["session_type"] for b in upcoming["items"]] == [
        "video",
        "chat",
        "phone",
        "video",
        "video",
    ]
    assert len({b["coach_id"] for b in upcoming["items"][:3]}) == 3  # three coaches at once
    past = await (
        await client.get("/api/bookings", params={"when": "past"}, headers=headers)
    ).json()
    assert sorted(b["status"] for b in past["items"]) == ["canceled_by_client", "completed"]

    coach_id = upcoming["items"][0]["coach_id"]
    now = services.clock.now()
    slots = await (
        await client.get(
            f"/api/coaches/{coach_id}/slots",
            params={
                "from": now.isoformat(),
                "to": (now + timedelta(days=14)).isoformat(),
                "session_type": "video",
                "duration": str(upcoming["items"][0]["duration"]),
            },
        )
    ).json()
    booked = {datetime.fromisoformat(b["starts_at"]) for b in upcoming["items"]}
    offered = [s["start"] for s in slots["slots"]]
    assert offered
    assert not booked & {datetime.fromisoformat(s) for s in offered}
    held = await client.post(
        "/api/bookings",
        json={
            "coach_id": coach_id,
            "start": offered[0],
            "session_type": "video",
            "duration": upcoming["items"][0]["duration"],
        },
        headers=headers,
    )
    assert held.status == 201, await held.text()


async def test_demo_coach_has_earnings_and_payouts(services: Services, client: Client) -> None:
    await seed(services)
    headers = await bearer(client, COACH_EMAIL)
    response = await client.get("/api/coaches/me/earnings", headers=headers)
    assert response.status == 200, await response.text()
    earned = await response.json()
    (balance,) = earned["balances"]
    # 4 earlier and 1 recent completed, 1 canceled, 2 upcoming sessions and the live video
    # session (realtime.demo.live), all at one price
    price = balance["gross"]["minor"] // 9
    assert balance["gross"]["minor"] == 9 * price
    assert balance["refunds"]["minor"] == price  # the cancellation 30 h ahead: in full
    assert balance["paid_out"]["minor"] > 0
    assert balance["available"]["minor"] > 0
    assert balance["pending"]["minor"] > 0
    assert [p["status"] for p in earned["payouts"]] == ["paid", "paid"]
    admin = await bearer(client, ADMIN_EMAIL)
    ledger = await (await client.get("/api/admin/ledger", headers=admin)).json()
    assert ledger["balanced"] is True


async def test_serve_demo_shows_the_email_flows_in_its_log(
    app: web.Application,
    aiohttp_client: AiohttpClient,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.on_startup.append(seed_on_startup)
    client: Client = await aiohttp_client(app)
    assert "appear in this log" in capsys.readouterr().out
    services = app[SERVICES]
    await client.post(
        "/api/auth/register",
        json={"email": "new@example.org", "password": DEMO_PASSWORD, "display_name": "New"},
    )
    await client.post("/api/auth/password/forgot", json={"email": CLIENT_EMAIL})
    with caplog.at_level(logging.INFO, logger="realtime.email"):
        assert await services.outbox.send_due() == 2
    logged = [r.getMessage() for r in caplog.records if "its links" in r.getMessage()]
    assert len(logged) == 2
    assert "/verify-email?token=" in logged[0]
    assert "/reset-password?token=" in logged[1]
    assert not any("new@example.org" in line or "Hello" in line for line in logged)


async def test_demo_sessions_have_conversations(services: Services, client: Client) -> None:
    """The live chat session opens on a history with one unread message; the completed session
    has its chat and the coach's notes (the client reads the shared one, in two versions). A
    later start writes nothing again."""
    await seed(services)
    for first_start in (True, False):
        await add_conversations(services, CLIENT_EMAIL, COACH_EMAIL, first_start=first_start)
    headers = await bearer(client, CLIENT_EMAIL)
    listing = await client.get("/api/bookings", params={"when": "upcoming"}, headers=headers)
    chats = [b for b in (await listing.json())["items"] if b["session_type"] == "chat"]
    assert [b["unread_messages"] for b in chats] == [1]
    room = await client.get(f"/api/bookings/{chats[0]['id']}/messages", headers=headers)
    assert [m["text"] for m in (await room.json())["items"]] == [t for _, t in LIVE_CHAT]

    listing = await client.get("/api/bookings", params={"when": "past"}, headers=headers)
    past = next(b for b in (await listing.json())["items"] if b["status"] == "completed")
    chat = await client.get(f"/api/bookings/{past['id']}/messages", headers=headers)
    assert [m["seq"] for m in (await chat.json())["items"]] == [1, 2, 3, 4]
    notes = await (await client.get(f"/api/bookings/{past['id']}/notes", headers=headers)).json()
    assert notes["private"] is None
    assert [v["text"] for v in notes["shared"]["history"]] == list(reversed(SHARED_NOTES))
    coach = await bearer(client, COACH_EMAIL)
    theirs = await (await client.get(f"/api/bookings/{past['id']}/notes", headers=coach)).json()
    assert theirs["private"]["latest"]["text"] == PRIVATE_NOTE


async def test_the_demo_coach_has_a_library_and_the_live_session_a_shared_worksheet(
    services: Services, client: Client
) -> None:
    await seed(services)
    coach = await bearer(client, COACH_EMAIL)
    library = (await (await client.get("/api/coaches/me/resources", headers=coach)).json())["items"]
    assert sorted(i["content_type"] or i["kind"] for i in library) == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "link",
    ]
    member = await bearer(client, CLIENT_EMAIL)
    upcoming = await (
        await client.get("/api/bookings", params={"when": "upcoming"}, headers=member)
    ).json()
    live = next(b for b in upcoming["items"] if b["session_type"] == "video")
    listed = await client.get(f"/api/bookings/{live['id']}/resources", headers=member)
    (shared,) = (await listed.json())["items"]
    assert shared["title"] == "Weekly reflection worksheet"
    got = await client.get(shared["download_url"], headers=member)
    assert (await got.read()).startswith(b"%PDF-1.4")
    # A later start keeps the one shared worksheet (the live session still has it).
    await refresh_open(services)
    listed = await client.get(f"/api/bookings/{live['id']}/resources", headers=member)
    assert len((await listed.json())["items"]) == 1


async def test_the_demo_coachs_personal_calendar_blocks_slots(
    services: Services, client: Client
) -> None:
    await seed(services)
    coach = await bearer(client, COACH_EMAIL)
    (calendar,) = (await (await client.get("/api/coaches/me/calendars", headers=coach)).json())[
        "calendars"
    ]
    assert calendar["label"] == "Personal calendar"
    assert calendar["status"] == "ok"
    # Weekly and fortnightly recurrences over the 400-day read-ahead, and the one-off.
    assert calendar["busy_count"] > 52 + 26
    async with services.db.session() as session:
        coach_id = await session.scalar(
            select(Coach.id).join(User, User.id == Coach.user_id).where(User.email == COACH_EMAIL)
        )
        busy = list(
            await session.execute(
                select(ImportedBusy.starts_at, ImportedBusy.ends_at).where(
                    ImportedBusy.coach_id == coach_id
                )
            )
        )

    async def overlapping() -> int:
        now = services.clock.now()
        offered = await client.get(
            f"/api/coaches/{coach_id}/slots",
            params={
                "from": now.date().isoformat(),
                "to": (now + timedelta(days=28)).date().isoformat(),
                "session_type": "video",
                "duration": 20,
            },
        )
        assert offered.status == 200, await offered.text()
        slots = [
            (datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
            for s in (await offered.json())["slots"]
        ]
        assert slots
        return sum(1 for s, e in slots for b, f in busy if s < f and b < e)

    assert await overlapping() == 0
    # Without the calendar those hours are offered again: it was what blocked them.
    gone = await client.delete(f"/api/coaches/me/calendars/{calendar['id']}", headers=coach)
    assert gone.status == 204
    assert await overlapping() > 0
