"""Steps most accounts tests take, through the HTTP API."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

PASSWORD = "correct horse battery"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(
    client: TestClient[Any, Any],
    email: str = "ann@example.org",
    *,
    role: str = "client",
    password: str = PASSWORD,
) -> dict[str, Any]:
    """Register an account, log in, and answer the login's body (user and tokens)."""
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": password, "display_name": "Ann", "role": role},
    )
    assert response.status == 202, await response.text()
    status, body = await login(client, email, password)
    assert status == 200, body
    return body


async def login(
    client: TestClient[Any, Any],
    email: str = "ann@example.org",
    password: str = PASSWORD,
    **extra: Any,
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": password, **extra}
    )
    body: dict[str, Any] = await response.json()
    return response.status, body


async def refresh(client: TestClient[Any, Any], token: str) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/auth/refresh", json={"refresh_token": token})
    body: dict[str, Any] = await response.json()
    return response.status, body


async def me(client: TestClient[Any, Any], access_token: str) -> tuple[int, dict[str, Any]]:
    response = await client.get("/api/me", headers=bearer(access_token))
    body: dict[str, Any] = await response.json()
    return response.status, body
