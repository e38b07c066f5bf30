"""Request rate limits on the shared live state: fixed windows per account or per address.

`Limiter.count((kind, who), ...)` counts one more request of a kind (a hold from an account, a
registration from an address) and refuses it with 429 `rate_limited` and `Retry-After` once the
window holds more than the kind's limit. The limits are settings (`HOLD_ATTEMPTS_*`,
`REGISTRATIONS_PER_ADDRESS`), put together by `realtime.wiring`. Every process counts together
when live state is in Redis. As for logins (`realtime/auth/ratelimit.py`), keys carry an HMAC
of `who` under a key derived from `SECRET_KEY`, never the address or id itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

from realtime.addresses import client_address
from realtime.errors import TooManyRequests
from realtime.keys import derive
from realtime.live import LiveState
from realtime.settings import IPNetwork, Settings


class Kind(StrEnum):
    HOLD_ACCOUNT = "hold-account"
    HOLD_ADDRESS = "hold-address"
    REGISTER_ADDRESS = "register-address"
    RESOURCE_UPLOAD = "resource-upload"


@dataclass(frozen=True)
class Rule:
    limit: int
    window: int  # seconds
    message: str


def rules(settings: Settings) -> dict[Kind, Rule]:
    holds = "Too many hold requests; try again later."
    return {
        Kind.HOLD_ACCOUNT: Rule(
            settings.hold_attempts_per_account, settings.hold_attempts_window, holds
        ),
        Kind.HOLD_ADDRESS: Rule(
            settings.hold_attempts_per_address, settings.hold_attempts_window, holds
        ),
        Kind.REGISTER_ADDRESS: Rule(
            settings.registrations_per_address,
            settings.registration_window,
            "Too many accounts registered from your address; try again later.",
        ),
        Kind.RESOURCE_UPLOAD: Rule(
            settings.resource_uploads_per_hour,
            3600,
            "You have added many resources in the last hour; try again later.",
        ),
    }


class Limiter:
    def __init__(
        self,
        live: LiveState,
        secret_key: str,
        rules: Mapping[Kind, Rule],
        proxies: Sequence[IPNetwork] = (),
    ) -> None:
        self.live = live
        self.key = derive(secret_key, "request-rate-limit")
        self.rules = dict(rules)
        self.proxies = tuple(proxies)

    def _name(self, kind: Kind, who: str) -> str:
        digest = hmac.new(self.key, who.encode(), hashlib.sha256).hexdigest()[:32]
        return f"limit:{kind}:{digest}"

    async def count(self, *requests: tuple[Kind, str]) -> None:
        """Count one request of each (kind, who), in one round trip; past a kind's limit,
        refuse (all are counted all the same)."""
        rules = [self.rules[kind] for kind, _ in requests]
        counted = await self.live.hit_all(
            [(self._name(kind, who), self.rules[kind].window) for kind, who in requests]
        )
        for rule, window in zip(rules, counted, strict=True):
            if window.count > rule.limit:
                raise TooManyRequests(rule.message, retry_after=window.resets_in)

    def address(self, request: web.Request) -> str:
        """The client address of `request` (see `TRUSTED_PROXIES`)."""
        return client_address(request, self.proxies)


LIMITER = web.AppKey("limiter", Limiter)
