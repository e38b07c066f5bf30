"""Login rate limits per account and address, per address, and telling the owner."""

from __future__ import annotations

import ipaddress
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

# The test client connects from 127.0.0.1: here, that is the load balancer.
BALANCER = (ipaddress.ip_network("127.0.0.1/32"),)


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
    client = await client_with(login_max_failures=3, login_window=600, trusted_proxies=BALANCER)
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
    mailed = await mailed_with(login_max_failures=3, trusted_proxies=BALANCER)
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


async def wrong_login(client: TestClient[Any, Any], n: int, forwarded: str) -> int:
    response = await client.post(
        "/api/auth/login",
        json={"email": f"user{n}@example.org", "password": WRONG},
        headers={"X-Forwarded-For": forwarded},
    )
    return response.status


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    client_with: ClientWith,
) -> None:
    client = await client_with(login_max_attempts_per_address=2, trusted_proxies=BALANCER)
    statuses = [await wrong_login(client, n, "203.0.113.9") for n in range(3)]
    assert statuses == [401, 401, 429]
    assert await wrong_login(client, 3, "198.51.100.7") == 401


async def test_a_balancers_address_is_not_everyones(client_with: ClientWith) -> None:
    """31 wrong logins from one client behind the balancer (on different accounts, so only the
    address limit applies) pause that client, not the others behind the same balancer."""
    client = await client_with(trusted_proxies=BALANCER)  # 30 attempts per address
    statuses = [await wrong_login(client, n, "203.0.113.9") for n in range(31)]
    assert statuses == [401] * 30 + [429]
    assert await wrong_login(client, 31, "198.51.100.7") == 401
    await register(client, "bob@example.org")
    response = await client.post(
        "/api/auth/login",
        json={"email": "bob@example.org", "password": "correct horse battery"},
        headers={"X-Forwarded-For": "198.51.100.8"},
    )
    assert response.status == 200


async def test_a_spoofed_first_forwarded_entry_does_not_dodge_the_limit(
    client_with: ClientWith,
) -> None:
    """The client writes what it likes to the left; the balancer appends its real address."""
    client = await client_with(login_max_attempts_per_address=3, trusted_proxies=BALANCER)
    statuses = [await wrong_login(client, n, f"192.0.2.{n}, 203.0.113.9") for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
