"""Logging in: one answer for every wrong credential, short-lived access tokens."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from realtime.settings import Settings
from tests.realtime.auth.flows import PASSWORD, bearer, login, me, register
from tests.support.clock import FakeClock
from tests.support.stacks import METRICS_AUTH


async def test_login_answers_a_token_pair(client: TestClient[Any, Any], settings: Settings) -> None:
    await register(client)
    status, body = await login(client)
    assert status == 200
    tokens = body["tokens"]
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == settings.access_token_ttl
    assert tokens["scope"] == "full"
    assert tokens["refresh_expires_at"] == "2026-03-02T21:00:00Z"  # 12 h after the fake now


async def test_wrong_password_and_unknown_email_look_the_same(
    client: TestClient[Any, Any],
) -> None:
    await register(client)
    wrong_password = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "not the password"}
    )
    unknown_email = await client.post(
        "/api/auth/login", json={"email": "bob@example.org", "password": PASSWORD}
    )
    assert wrong_password.status == unknown_email.status == 401
    first, second = await wrong_password.json(), await unknown_email.json()
    del first["instance"], second["instance"]
    assert first == second
    assert first["code"] == "invalid_credentials"


async def test_access_token_expires_by_the_clock(
    client: TestClient[Any, Any], clock: FakeClock, settings: Settings
) -> None:
    token = (await register(client))["tokens"]["access_token"]
    clock.advance(settings.access_token_ttl - 1)
    assert (await me(client, token))[0] == 200
    clock.advance(1)
    status, problem = await me(client, token)
    assert (status, problem["code"]) == (401, "token_expired")


async def test_a_forged_token_is_refused(client: TestClient[Any, Any]) -> None:
    token = (await register(client))["tokens"]["access_token"]
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = await client.get("/api/me", headers=bearer(forged))
    assert response.status == 401
    assert (await response.json())["code"] == "token_invalid"


async def test_logins_are_counted_by_outcome(client: TestClient[Any, Any]) -> None:
    await register(client)
    await login(client)
    await login(client, password="not the password")
    metrics = await (await client.get("/metrics", headers=METRICS_AUTH)).text()
    assert 'flourish_logins_total{outcome="success"} 2.0' in metrics  # register logs in
    assert 'flourish_logins_total{outcome="invalid_credentials"} 1.0' in metrics
