"""Registration, the caller's profile, and validation of account fields."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.realtime.auth.flows import PASSWORD, bearer, login, me, register

GOOD = {"email": "ann@example.org", "password": PASSWORD, "display_name": "Ann"}


async def test_register_then_log_in_and_read_me(client: TestClient[Any, Any]) -> None:
    registered = await register(client, " Ann@Example.ORG ", role="coach")
    assert registered["user"]["email"] == "ann@example.org"
    assert registered["tokens"]["token_type"] == "Bearer"
    status, body = await login(client, "ANN@example.org")
    assert status == 200
    assert body["two_factor_setup_required"] is False
    status, user = await me(client, body["tokens"]["access_token"])
    assert status == 200
    assert user == registered["user"]
    assert (user["role"], user["time_zone"], user["two_factor_enabled"]) == ("coach", "UTC", False)


async def test_email_taken_whatever_its_case(client: TestClient[Any, Any]) -> None:
    await register(client)
    response = await client.post("/api/auth/register", json={**GOOD, "email": "ANN@example.org"})
    assert response.status == 409
    assert response.content_type == "application/problem+json"
    assert (await response.json())["code"] == "email_taken"


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"is_admin": True}, "is_admin"),
    ({"password": "short"}, "password"),
    ({"password": "ann@example.org"}, "password"),
    ({"email": "ann.example.org"}, "email"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"display_name": 5}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"role": "admin"}, "role"),
    ({"email": ["ann@example.org"]}, "email"),
]


async def test_each_bad_field_is_named(client: TestClient[Any, Any]) -> None:
    for change, field in BAD_FIELDS:
        response = await client.post("/api/auth/register", json={**GOOD, **change})
        body = await response.json()
        assert (response.status, body["code"]) == (422, "validation_failed"), change
        assert [e["field"] for e in body["errors"]] == [field], change
    status, _ = await login(client)
    assert status == 401  # nothing was written


async def test_every_bad_field_is_named_at_once(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "x", "password": 1, "display_name": ""}
    )
    body = await response.json()
    assert sorted(e["field"] for e in body["errors"]) == ["display_name", "email", "password"]


async def test_time_zone_is_kept_and_can_be_changed(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/auth/register", json={**GOOD, "time_zone": "America/New_York"}
    )
    token = (await response.json())["tokens"]["access_token"]
    response = await client.patch(
        "/api/me",
        json={"time_zone": "Europe/Paris", "display_name": " Ann B. "},
        headers=bearer(token),
    )
    assert response.status == 200
    _, user = await me(client, token)
    assert (user["time_zone"], user["display_name"]) == ("Europe/Paris", "Ann B.")


async def test_changing_me_validates_too(client: TestClient[Any, Any]) -> None:
    token = (await register(client))["tokens"]["access_token"]
    response = await client.patch("/api/me", json={"time_zone": "Nowhere"}, headers=bearer(token))
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "time_zone"


async def test_own_routes_need_a_token(client: TestClient[Any, Any]) -> None:
    for method, path in (("GET", "/api/me"), ("POST", "/api/auth/logout")):
        response = await client.request(method, path)
        assert response.status == 401
        assert (await response.json())["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
