"""Registration is rate-limited per address, and password hashes are bounded per process."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from dataclasses import replace
from typing import Any, Literal

from argon2 import PasswordHasher

from realtime.app import create_app
from realtime.auth.passwords import Passwords
from realtime.settings import Settings
from tests.conftest import AiohttpClient
from tests.realtime.auth.conftest import ClientWith
from tests.realtime.auth.flows import PASSWORD, register
from tests.support.clock import FakeClock

BALANCER = (ipaddress.ip_network("127.0.0.1/32"),)


def new_account(n: int) -> dict[str, str]:
    return {"email": f"user{n}@example.org", "password": PASSWORD, "display_name": "Ann"}


async def test_registration_past_the_per_address_limit_is_429(client_with: ClientWith) -> None:
    client = await client_with(registrations_per_address=2, trusted_proxies=BALANCER)

    async def from_address(n: int, address: str) -> Any:
        return await client.post(
            "/api/auth/register", json=new_account(n), headers={"X-Forwarded-For": address}
        )

    assert [(await from_address(n, "203.0.113.9")).status for n in range(2)] == [202, 202]
    refused = await from_address(2, "203.0.113.9")
    assert refused.status == 429
    assert refused.content_type == "application/problem+json"
    assert (await refused.json())["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert (await from_address(3, "198.51.100.7")).status == 202


class CountingHasher(PasswordHasher):
    """Argon2id at its cheapest, counting how many hashes run at once; each lasts at least
    50 ms, so that unbounded ones would overlap."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def _counted(self, work: Any, *args: Any) -> Any:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            return work(*args)
        finally:
            with self.lock:
                self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        result: str = self._counted(super().hash, password)
        return result

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self._counted(super().verify, hash, password)  # raises unless it matches
        return True


async def test_concurrent_hashes_never_exceed_the_bound(
    aiohttp_client: AiohttpClient, settings: Settings, clock: FakeClock
) -> None:
    hasher = CountingHasher()
    app = create_app(
        replace(settings, password_hash_concurrency=2),
        clock=clock,
        passwords=Passwords(hasher),
    )
    client = await aiohttp_client(app)
    await register(client, "ann@example.org")
    hasher.most = 0
    registrations = [client.post("/api/auth/register", json=new_account(n)) for n in range(6)]
    logins = [
        client.post("/api/auth/login", json={"email": "ann@example.org", "password": PASSWORD})
        for _ in range(3)
    ]
    responses = await asyncio.gather(*registrations, *logins)
    assert sorted(r.status for r in responses) == [200] * 3 + [202] * 6
    assert hasher.most == 2
