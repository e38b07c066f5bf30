"""Login rate limits per account and address, per address, and telling the owner."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.realtime.auth.conftest import ClientWith, MailedWith
from tests.realtime.auth.flows import PASSWORD, login, register
from tests.support.clock import FakeClock
from tests.support.smtp import body
from tests.support.stacks import Stack

WRONG = "not the password"
ANN = "ann@example.org"
STRANGER = "203.0.113.9"
OWNER = "198.51.100.7"


async def attempt(
    client: TestClient[Any, Any], address: str, password: str = WRONG, email: str = ANN
) -> ClientResponse:
    """A login from `address` (the app trusts the proxy that says so)."""
    return await client.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_failures_pause_the_account_from_that_address_only(
    client_with: ClientWith, clock: FakeClock, stack: Stack
) -> None:
    client = await client_with(login_max_failures=3, login_window=600, trust_proxy=True)
    await register(client)
    for _ in range(3):
        assert (await attempt(client, STRANGER)).status == 401
    # From the stranger's address even the right password waits for the window to end...
    response = await attempt(client, STRANGER, PASSWORD)
    assert response.status == 429
    assert (await response.json())["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 600
    # ...while the owner, from their own address, logs in as usual, again and again.
    for _ in range(3):
        assert (await attempt(client, OWNER, PASSWORD)).status == 200
    if stack.name == "embedded":  # Redis times its windows by the real clock, not the fake one
        clock.advance(600)
        assert (await attempt(client, STRANGER, PASSWORD)).status == 200


async def test_the_owner_is_told_of_repeated_failures_once_per_window(
    mailed_with: MailedWith,
) -> None:
    mailed = await mailed_with(login_max_failures=3, trust_proxy=True)
    client = mailed.client
    await register(client)
    await mailed.deliver()  # the verification email
    for n in range(8):
        await attempt(client, f"203.0.113.{n}")  # spread over addresses: each stays below 3
    [told] = await mailed.deliver()
    assert (told["To"], told["Subject"]) == (ANN, "Failed logins to your account")
    assert "203.0.113" not in body(told)
    for n in range(8):
        await attempt(client, f"198.51.100.{n}")
    assert await mailed.deliver() == []
    await attempt(client, "198.51.100.9", email="nobody@example.org")  # no account, no email
    assert await mailed.deliver() == []


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
