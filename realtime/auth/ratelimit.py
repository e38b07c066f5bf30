"""Login rate limits, on the shared live state.

Fixed windows of `LOGIN_WINDOW` seconds each:

- per account and address: after `LOGIN_MAX_FAILURES` failed logins (wrong password, wrong or
  missing second factor) from one client address, every further attempt on that account *from
  that address* is refused with 429 until the window ends, even with the right password, so
  guessing cannot go on at a slower pace. The owner, logging in from their own address, is not
  stopped: knowing someone's email no longer locks them out. A success clears the pair's count.
- per account, over every address: counted only to tell the owner. When the account's failures
  in one window reach `LOGIN_MAX_FAILURES`, `failed` answers True once, and the caller emails
  the owner; guessing spread over many addresses is still bounded per address (below), and the
  owner hears of it.
- per address: at most `LOGIN_MAX_ATTEMPTS_PER_ADDRESS` attempts, successful or not, from one
  client address, which stops one address from trying many accounts.

Two-factor checks made by a logged-in caller (disable, new recovery codes) count under the
address `SIGNED_IN`, a pair of their own.

Keys carry an HMAC of the email or address under a key derived from `SECRET_KEY`, never the
value itself: Redis holds no personal data and its keys cannot be checked against a list.
"""

from __future__ import annotations

import hashlib
import hmac

from realtime.errors import TooManyRequests
from realtime.keys import derive
from realtime.live import LiveState

SIGNED_IN = "(signed in)"


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

    def _name(self, kind: str, *values: str) -> str:
        value = "\x00".join(values)
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

    async def check_account(self, email: str, address: str) -> None:
        """Refuse any attempt on an account from an address with too many failures on it."""
        window = await self.live.peek(self._name("pair", email, address))
        if window.count >= self.max_failures:
            raise TooManyRequests(
                "Too many failed logins for this account from your address; try again later.",
                retry_after=window.resets_in,
            )

    async def failed(self, email: str, address: str) -> bool:
        """Count a failure; True the once per window the account's failures reach the limit."""
        await self.live.hit(self._name("pair", email, address), self.window)
        account = await self.live.hit(self._name("account", email), self.window)
        return account.count == self.max_failures

    async def succeeded(self, email: str, address: str) -> None:
        await self.live.clear(self._name("pair", email, address))
