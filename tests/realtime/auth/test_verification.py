"""Verifying the address: the emailed link, holding a slot before and after, resending, and
registering an address that already has an account."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from tests.realtime.auth.conftest import Mailed
from tests.realtime.auth.flows import PASSWORD, bearer, login, me, register
from tests.support.clock import FakeClock
from tests.support.smtp import body, link_token

GOOD = {"email": "ann@example.org", "password": PASSWORD, "display_name": "Ann"}
SLOT = {
    "coach_id": str(uuid.uuid4()),
    "start": "2026-03-09T10:00:00Z",
    "session_type": "video",
    "duration": 50,
}


async def hold(client: TestClient[Any, Any], token: str) -> tuple[int, str]:
    response = await client.post("/api/bookings", json=SLOT, headers=bearer(token))
    return response.status, (await response.json())["code"]


async def verify(client: TestClient[Any, Any], token: str) -> tuple[int, Any]:
    response = await client.post("/api/auth/verify-email", json={"token": token})
    return response.status, (None if response.status == 204 else await response.json())


async def test_a_new_account_gets_a_link_and_may_hold_only_once_verified(mailed: Mailed) -> None:
    client = mailed.client
    access = (await register(client))["tokens"]["access_token"]
    [message] = await mailed.deliver()
    assert message["To"] == "ann@example.org"
    assert message["Subject"] == "Confirm your email address"
    assert "https://flourish.test/verify-email?token=" in body(message)
    assert (await me(client, access))[1]["email_verified"] is False
    assert await hold(client, access) == (403, "email_unverified")

    assert (await verify(client, link_token(message)))[0] == 204
    assert (await me(client, access))[1]["email_verified"] is True
    # Past the check: this coach does not exist, which is the next thing the hold finds.
    assert await hold(client, access) == (404, "coach_not_found")


async def test_a_link_works_once_and_not_after_its_hours(mailed: Mailed, clock: FakeClock) -> None:
    client = mailed.client
    await register(client)
    await register(client, "bob@example.org")
    ann, bob = await mailed.deliver()
    assert (await verify(client, link_token(ann)))[0] == 204
    status, problem = await verify(client, link_token(ann))
    assert (status, problem["code"]) == (400, "link_invalid")
    assert problem["type"]  # problem+json
    clock.advance(48 * 3600)
    assert (await verify(client, link_token(bob)))[1]["code"] == "link_invalid"
    assert (await verify(client, "made-up"))[1]["code"] == "link_invalid"


async def test_resending_voids_the_earlier_link(mailed: Mailed) -> None:
    client = mailed.client
    access = (await register(client))["tokens"]["access_token"]
    [first] = await mailed.deliver()
    response = await client.post("/api/auth/verify-email/resend", headers=bearer(access))
    assert response.status == 204
    [second] = await mailed.deliver()
    assert (await verify(client, link_token(first)))[1]["code"] == "link_invalid"
    assert (await verify(client, link_token(second)))[0] == 204
    again = await client.post("/api/auth/verify-email/resend", headers=bearer(access))
    assert (again.status, (await again.json())["code"]) == (409, "email_already_verified")


async def test_registering_a_taken_address_answers_alike_and_tells_the_owner(
    mailed: Mailed,
) -> None:
    client = mailed.client
    first = await client.post("/api/auth/register", json=GOOD)
    other = {**GOOD, "email": " ANN@example.org", "password": "another fine passphrase"}
    second = await client.post("/api/auth/register", json=other)
    fresh = await client.post("/api/auth/register", json={**GOOD, "email": "bob@example.org"})

    assert first.status == second.status == fresh.status == 202
    assert await first.json() == await second.json()
    assert (await fresh.json()).keys() == (await first.json()).keys()
    varying = {"date", "x-request-id"}  # differ between any two answers
    headers = [
        {k.lower(): v for k, v in r.headers.items() if k.lower() not in varying}
        for r in (first, second)
    ]
    assert headers[0] == headers[1]
    assert "content-length" in headers[0]

    verify_ann, told_ann, verify_bob = await mailed.deliver()
    assert (verify_ann["To"], verify_ann["Subject"]) == (
        "ann@example.org",
        "Confirm your email address",
    )
    assert told_ann["To"] == "ann@example.org"
    assert "already has one" in body(told_ann)
    assert "token=" not in body(told_ann)
    assert verify_bob["To"] == "bob@example.org"
    # The second registration changed nothing: its password does not open the account.
    assert (await login(client, password="another fine passphrase"))[0] == 401
    assert (await login(client))[0] == 200


async def test_every_process_sends_on_its_own_clock(mailed: Mailed, clock: FakeClock) -> None:
    await register(mailed.client)
    clock.advance(5)  # the background job's period
    for _ in range(200):
        if mailed.inbox.messages:
            break
        await asyncio.sleep(0.02)
    assert [m["Subject"] for m in mailed.inbox.messages] == ["Confirm your email address"]


async def test_two_registrations_at_once_make_one_account_and_answer_alike(
    mailed: Mailed,
) -> None:
    client = mailed.client
    answers = await asyncio.gather(
        *(client.post("/api/auth/register", json=GOOD) for _ in range(3))
    )
    assert [a.status for a in answers] == [202, 202, 202]
    subjects = sorted(m["Subject"] for m in await mailed.deliver())
    assert subjects == [
        "Confirm your email address",
        "Someone tried to create an account with your address",
        "Someone tried to create an account with your address",
    ]
    assert (await login(client))[0] == 200
