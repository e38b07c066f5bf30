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


async def test_registering_answers_202_with_the_stored_address(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post("/api/auth/register", json={**GOOD, "email": " Ann@Example.ORG"})
    assert response.status == 202
    body = await response.json()
    assert body["email"] == "ann@example.org"
    assert "tokens" not in body  # no login here: the answer must not differ for a taken address


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
    ({"password": "aaaaaaaaaaaaaaaa"}, "password"),  # long enough, trivially guessed
    ({"password": "ann@example.org!!"}, "password"),  # strong only to one who knows the email
    ({"email": "cl\u0456ent@example.org"}, "email"),  # a Cyrillic i among Latin letters
    ({"email": "ann\u200b@example.org"}, "email"),  # a zero-width space
    ({"display_name": "P\u0430t Doe"}, "display_name"),  # a Cyrillic a in a Latin word
    ({"display_name": "Ann\u202e"}, "display_name"),  # a right-to-left override
    ({"display_name": "\u3164"}, "display_name"),  # a Hangul filler: draws nothing
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
    assert response.status == 202
    token = (await login(client))[1]["tokens"]["access_token"]
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


async def test_a_weak_password_is_refused_saying_what_is_weak(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post(
        "/api/auth/register", json={**GOOD, "password": "aaaaaaaaaaaaaaaa"}
    )
    [error] = (await response.json())["errors"]
    assert error["field"] == "password"
    assert "strength 0 of 4, at least 3 needed" in error["message"]
    assert "Repeats" in error["message"]


async def test_emails_and_names_are_normalised(client: TestClient[Any, Any]) -> None:
    full_width = "\uff21\uff4e\uff4e@example.org"  # ANN in full-width letters
    response = await client.post(
        "/api/auth/register", json={**GOOD, "email": full_width, "display_name": "Ann\u00a0Lee"}
    )
    assert (await response.json())["email"] == "ann@example.org"
    status, body = await login(client, "ANN@EXAMPLE.ORG")
    assert status == 200
    assert body["user"]["display_name"] == "Ann Lee"  # the no-break space became a space


async def test_names_in_one_script_each_are_accepted(client: TestClient[Any, Any]) -> None:
    for n, name in enumerate(["Олена Коваль", "山田 太郎", "José O\u2019Brien", "Łukasz"]):
        email = f"user{n}@example.org"
        response = await client.post(
            "/api/auth/register", json={**GOOD, "email": email, "display_name": name}
        )
        assert response.status == 202, name
        assert (await login(client, email))[1]["user"]["display_name"] == name
