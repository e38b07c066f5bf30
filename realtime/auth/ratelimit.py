"""Login rate limits, on the shared live state.

Two fixed windows of `LOGIN_WINDOW` seconds each:

- per account: after `LOGIN_MAX_FAILURES` failed logins (wrong password, wrong or missing
  second factor), every further attempt on that account is refused with 429 until the window
  ends, even with the right password, so guessing cannot continue at a slower pace. A success
  clears the account's count.
- per address: at most `LOGIN_MAX_ATTEMPTS_PER_ADDRESS` attempts, successful or not, from one
  client address, which stops one address from trying many accounts.

Keys carry an HMAC of the email or address under a key derived from `SECRET_KEY`, never the
value itself: Redis holds no personal data and its keys cannot be checked against a list.
"""

from __future__ import annotations

import hashlib
import hmac

from realtime.errors import TooManyRequests
from realtime.keys import derive
from realtime.live import LiveState


class LoginLimiter:
    def __init__(
        self,
        live: LiveState,
        secret_key: str,
        *,
        max_failures: int,
        max_per_address: int,
        window: int,
    ) -> None:
        self.live = live
        self.key = derive(secret_key, "login-rate-limit")
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.window = window

    def _name(self, kind: str, value: str) -> str:
        digest = hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()[:32]
        return f"login:{kind}:{digest}"

    async def attempt_from(self, address: str) -> None:
        """Count one login attempt from `address`; refuse it past the address limit."""
        window = await self.live.hit(self._name("address", address), self.window)
        if window.count > self.max_per_address:
            raise TooManyRequests(
                "Too many login attempts from your address; try again later.",
                retry_after=window.resets_in,
            )

    async def check_account(self, email: str) -> None:
        """Refuse any attempt on an account that has had too many failures in this window."""
        window = await self.live.peek(self._name("account", email))
        if window.count >= self.max_failures:
            raise TooManyRequests(
                "Too many failed logins for this account; try again later.",
                retry_after=window.resets_in,
            )

    async def failed(self, email: str) -> None:
        await self.live.hit(self._name("account", email), self.window)

    async def succeeded(self, email: str) -> None:
        await self.live.clear(self._name("account", email))
