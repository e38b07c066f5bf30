"""Changing a password (the current one needed) and resetting it by an emailed link."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.realtime.auth.conftest import Mailed
from tests.realtime.auth.flows import PASSWORD, bearer, login, me, refresh, register
from tests.support.clock import FakeClock
from tests.support.smtp import body, link_token

NEW = "a different long passphrase"


async def change(
    client: TestClient[Any, Any], token: str, current: str, new: str
) -> tuple[int, Any]:
    response = await client.post(
        "/api/auth/password/change",
        json={"current_password": current, "new_password": new},
        headers=bearer(token),
    )
    return response.status, (None if response.status == 204 else await response.json())


async def forgot(client: TestClient[Any, Any], email: str) -> tuple[int, Any]:
    response = await client.post("/api/auth/password/forgot", json={"email": email})
    return response.status, await response.json()


async def reset(client: TestClient[Any, Any], token: str, password: str) -> tuple[int, Any]:
    response = await client.post(
        "/api/auth/password/reset", json={"token": token, "password": password}
    )
    return response.status, (None if response.status == 204 else await response.json())


async def test_a_change_needs_the_current_password_and_ends_the_other_sessions(
    mailed: Mailed,
) -> None:
    client = mailed.client
    here = (await register(client))["tokens"]
    elsewhere = (await login(client))[1]["tokens"]
    status, problem = await change(client, here["access_token"], "not my password", NEW)
    assert (status, problem["code"]) == (403, "invalid_credentials")
    status, problem = await change(client, here["access_token"], PASSWORD, "aaaaaaaaaaaaaaaa")
    assert (status, problem["errors"][0]["field"]) == (422, "password")
    assert (await change(client, here["access_token"], PASSWORD, NEW))[0] == 204

    assert (await me(client, here["access_token"]))[0] == 200  # this session goes on
    assert (await refresh(client, here["refresh_token"]))[0] == 200
    assert (await me(client, elsewhere["access_token"]))[0] == 401  # the other one ended
    assert (await refresh(client, elsewhere["refresh_token"]))[0] == 401
    assert (await login(client))[0] == 401
    assert (await login(client, password=NEW))[0] == 200
    changed = [m for m in await mailed.deliver() if m["Subject"] == "Your password was changed"]
    assert [m["To"] for m in changed] == ["ann@example.org"]


async def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    mailed: Mailed,
) -> None:
    client = mailed.client
    tokens = (await register(client))["tokens"]
    await mailed.deliver()  # the verification email
    status, _ = await forgot(client, " ANN@example.org")
    assert status == 202
    [message] = await mailed.deliver()
    assert message["Subject"] == "Reset your password"
    assert "https://flourish.test/reset-password?token=" in body(message)
    token = link_token(message)

    status, problem = await reset(client, token, "aaaaaaaaaaaaaaaa")
    assert (status, problem["errors"][0]["field"]) == (422, "password")  # the link still works
    assert (await reset(client, token, NEW))[0] == 204
    assert (await reset(client, token, "yet another passphrase"))[1]["code"] == "link_invalid"

    assert (await me(client, tokens["access_token"]))[0] == 401
    assert (await refresh(client, tokens["refresh_token"]))[0] == 401
    assert (await login(client))[0] == 401
    status, body_ = await login(client, password=NEW)
    assert status == 200
    assert body_["user"]["email_verified"] is True  # the link proved the mailbox


async def test_a_reset_link_is_short_lived_and_replaced_by_the_next(
    mailed: Mailed, clock: FakeClock
) -> None:
    client = mailed.client
    await register(client)
    await mailed.deliver()
    await forgot(client, "ann@example.org")
    await forgot(client, "ann@example.org")
    first, second = await mailed.deliver()
    assert (await reset(client, link_token(first), NEW))[1]["code"] == "link_invalid"
    clock.advance(30 * 60)
    assert (await reset(client, link_token(second), NEW))[1]["code"] == "link_invalid"
    assert (await login(client))[0] == 200


async def test_forgetting_an_unknown_address_answers_alike_and_sends_nothing(
    mailed: Mailed,
) -> None:
    client = mailed.client
    await register(client)
    await mailed.deliver()
    known = await forgot(client, "ann@example.org")
    unknown = await forgot(client, "nobody@example.org")
    not_an_address = await forgot(client, "nobody")
    assert known == unknown == not_an_address
    assert [m["To"] for m in await mailed.deliver()] == ["ann@example.org"]
