"""Passwords hashed with Argon2id (argon2-cffi's defaults follow RFC 9106's second choice)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        # A hash to verify against when the account does not exist, so timing does not tell.
        self.dummy = self.hasher.hash("not a real password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                self.hasher.verify(stored or self.dummy, password)
            except (VerificationError, InvalidHashError):
                return False
            return stored is not None

        return await asyncio.to_thread(check)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
