"""Login rate limits per account and per address."""

from __future__ import annotations

from tests.realtime.auth.conftest import ClientWith
from tests.realtime.auth.flows import login, register
from tests.support.clock import FakeClock
from tests.support.stacks import Stack

WRONG = "not the password"


async def test_failures_pause_the_account_even_for_the_right_password(
    client_with: ClientWith, clock: FakeClock, stack: Stack
) -> None:
    client = await client_with(login_max_failures=3, login_window=600)
    await register(client)
    await register(client, "bob@example.org")
    for _ in range(3):
        assert (await login(client, password=WRONG))[0] == 401
    response = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "correct horse battery"}
    )
    assert response.status == 429
    assert (await response.json())["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert (await login(client, "bob@example.org"))[0] == 200
    if stack.name == "embedded":  # Redis times its windows by the real clock, not the fake one
        clock.advance(600)
        assert (await login(client))[0] == 200


async def test_a_success_clears_the_failures(client_with: ClientWith) -> None:
    client = await client_with(login_max_failures=3)
    await register(client)
    for _ in range(2):
        for _ in range(2):
            assert (await login(client, password=WRONG))[0] == 401
        assert (await login(client))[0] == 200


async def test_one_address_may_try_only_so_often(client_with: ClientWith) -> None:
    client = await client_with(login_max_attempts_per_address=3)
    for name in ("a", "b", "c"):
        assert (await login(client, f"{name}@example.org"))[0] == 401
    response = await client.post(
        "/api/auth/login",
        json={"email": "d@example.org", "password": WRONG},
        headers={"X-Forwarded-For": "198.51.100.7"},  # not trusted: ignored
    )
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    client_with: ClientWith,
) -> None:
    client = await client_with(login_max_attempts_per_address=2, trust_proxy=True)

    async def attempt(address: str) -> int:
        response = await client.post(
            "/api/auth/login",
            json={"email": "a@example.org", "password": WRONG},
            headers={"X-Forwarded-For": f"{address}, 10.0.0.1"},
        )
        return response.status

    assert [await attempt("203.0.113.9") for _ in range(3)] == [401, 401, 429]
    assert await attempt("198.51.100.7") == 401
