"""Passwords hashed with Argon2id (argon2-cffi's defaults follow RFC 9106's second choice).

Each hash or check takes 64 MiB and tens of milliseconds of a core, so a burst of registrations
or logins could take all of a process's memory: `bounded(n)` gives a copy that computes at most
`n` at once (`PASSWORD_HASH_CONCURRENCY`), the others waiting their turn, registration and login
sharing the one bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")


class Passwords:
    def __init__(
        self,
        hasher: PasswordHasher | None = None,
        *,
        concurrency: int | None = None,
        dummy: str | None = None,
    ) -> None:
        self.hasher = hasher or PasswordHasher()
        # A hash to verify against when the account does not exist, so timing does not tell.
        self.dummy = dummy or self.hasher.hash("not a real password")
        self.concurrency = concurrency
        self.gate = asyncio.Semaphore(concurrency) if concurrency is not None else None

    def bounded(self, concurrency: int) -> Passwords:
        """The same hasher, computing at most `concurrency` hashes at once (one bound per app:
        a semaphore belongs to the event loop that first waits on it)."""
        return Passwords(self.hasher, concurrency=concurrency, dummy=self.dummy)

    async def _run(self, work: Callable[[], T]) -> T:
        if self.gate is None:
            return await asyncio.to_thread(work)
        async with self.gate:
            return await asyncio.to_thread(work)

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self.hasher.hash(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                self.hasher.verify(stored or self.dummy, password)
            except (VerificationError, InvalidHashError):
                return False
            return stored is not None

        return await self._run(check)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
