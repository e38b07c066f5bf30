"""Login sessions: refresh rotation, theft detection, idle and absolute expiry, logging out."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from realtime.settings import Settings
from tests.realtime.auth.conftest import ClientWith
from tests.realtime.auth.flows import PASSWORD, bearer, login, me, refresh, register
from tests.support.clock import FakeClock


async def test_refresh_rotates_the_refresh_token(client: TestClient[Any, Any]) -> None:
    first = (await register(client))["tokens"]
    status, body = await refresh(client, first["refresh_token"])
    assert status == 200
    second = body["tokens"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (await me(client, second["access_token"]))[0] == 200
    for spent in (first["refresh_token"], "not-a-token"):
        status, problem = await refresh(client, spent)
        assert (status, problem["code"]) == (401, "token_invalid")


async def test_reusing_a_rotated_token_ends_the_session(client: TestClient[Any, Any]) -> None:
    stolen = (await register(client))["tokens"]["refresh_token"]
    _, body = await refresh(client, stolen)  # the owner refreshes
    status, problem = await refresh(client, stolen)  # the thief tries the old one
    assert status == 401
    assert "already used" in problem["detail"]
    status, problem = await refresh(client, body["tokens"]["refresh_token"])
    assert (status, problem["code"]) == (401, "token_invalid")
    assert "ended" in problem["detail"]


async def test_an_idle_session_expires(
    client: TestClient[Any, Any], clock: FakeClock, settings: Settings
) -> None:
    token = (await register(client))["tokens"]["refresh_token"]
    clock.advance(settings.session_idle_timeout - 1)
    status, body = await refresh(client, token)
    assert status == 200
    clock.advance(settings.session_idle_timeout + 1)
    status, problem = await refresh(client, body["tokens"]["refresh_token"])
    assert (status, problem["code"]) == (401, "token_expired")
    assert "idle" in problem["detail"]


async def test_a_session_ends_at_its_longest_life(
    client_with: ClientWith, clock: FakeClock
) -> None:
    client = await client_with(refresh_token_ttl=3600, session_idle_timeout=1800)
    token = (await register(client))["tokens"]["refresh_token"]
    for _ in range(2):
        clock.advance(1500)
        status, body = await refresh(client, token)
        assert status == 200
        token = body["tokens"]["refresh_token"]
    clock.advance(600)
    status, problem = await refresh(client, token)
    assert (status, problem["code"]) == (401, "token_expired")
    assert "longest life" in problem["detail"]


async def test_logout_ends_only_this_session(client: TestClient[Any, Any]) -> None:
    here = (await register(client))["tokens"]
    _, body = await login(client)
    elsewhere = body["tokens"]
    response = await client.post("/api/auth/logout", headers=bearer(here["access_token"]))
    assert response.status == 204
    status, problem = await refresh(client, here["refresh_token"])
    assert (status, problem["code"]) == (401, "token_invalid")
    assert (await refresh(client, elsewhere["refresh_token"]))[0] == 200


async def test_logout_everywhere_kills_every_token_at_once(client: TestClient[Any, Any]) -> None:
    here = (await register(client))["tokens"]
    _, body = await login(client)
    elsewhere = body["tokens"]
    response = await client.post("/api/auth/logout-all", headers=bearer(here["access_token"]))
    assert response.status == 204
    for tokens in (here, elsewhere):
        status, problem = await me(client, tokens["access_token"])
        assert (status, problem["code"]) == (401, "token_invalid")
        assert (await refresh(client, tokens["refresh_token"]))[0] == 401
    assert (await login(client))[0] == 200


async def test_the_web_clients_login_lives_in_a_strict_httponly_cookie(
    client: TestClient[Any, Any],
) -> None:
    client.session.cookie_jar.clear()
    response = await client.post(
        "/api/auth/register",
        json={"email": "cat@example.org", "password": PASSWORD, "display_name": "Cat"},
    )
    assert response.status == 202
    response = await client.post(
        "/api/auth/login", json={"email": "cat@example.org", "password": PASSWORD}
    )
    cookie = response.cookies["flourish_refresh"]
    tokens = (await response.json())["tokens"]
    assert cookie.value == tokens["refresh_token"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Strict", "/api/auth")
    assert int(cookie["max-age"]) > 0
    marker = response.cookies["flourish_login"]  # no secret: tells the page to restore
    assert (marker.value, marker["httponly"], marker["path"]) == ("1", "", "/")

    # The cookie alone is not enough: a cross-site form cannot add the header.
    no_header = await client.post("/api/auth/refresh", json={})
    assert (no_header.status, (await no_header.json())["code"]) == (401, "token_invalid")
    by_cookie = await client.post("/api/auth/refresh", json={}, headers={"X-Flourish-Refresh": "1"})
    assert by_cookie.status == 200, await by_cookie.text()
    rotated = (await by_cookie.json())["tokens"]
    assert rotated["refresh_token"] is None  # the web client gets it in the cookie only
    assert by_cookie.cookies["flourish_refresh"].value != tokens["refresh_token"]
    assert (await me(client, rotated["access_token"]))[0] == 200

    out = await client.post("/api/auth/logout", headers=bearer(rotated["access_token"]))
    assert out.status == 204
    assert out.cookies["flourish_refresh"].value == ""  # cleared
    assert out.cookies["flourish_login"].value == ""
    again = await client.post("/api/auth/refresh", json={}, headers={"X-Flourish-Refresh": "1"})
    assert again.status == 401
