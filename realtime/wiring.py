"""Builds every long-lived object once and hands each API the ones it needs.

The only place that knows the whole object graph. Each API module declares an `AppKey` for what
it needs; `provide()` fills them in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from realtime.auth.access import AUTHENTICATOR, Authenticator
from realtime.auth.passwords import Passwords
from realtime.auth.tokens import TokenCodec
from realtime.clock import Clock, SystemClock
from realtime.db import Database
from realtime.health import DATABASE, LIVE
from realtime.live import LiveState, MemoryLiveState, RedisLiveState
from realtime.metrics import CLOCK, METRICS, Metrics
from realtime.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    live: LiveState
    metrics: Metrics
    passwords: Passwords
    tokens: TokenCodec
    authenticator: Authenticator


@asynccontextmanager
async def services(
    settings: Settings, clock: Clock | None = None, *, passwords: Passwords | None = None
) -> AsyncIterator[Services]:
    clock = clock or SystemClock()
    db = Database(settings.database_url, schema=settings.database_schema)
    live: LiveState = (
        RedisLiveState(settings.redis_url, settings.redis_prefix)
        if settings.redis_url
        else MemoryLiveState(clock)
    )
    tokens = TokenCodec(settings.secret_key, clock, settings.access_token_ttl)
    try:
        yield Services(
            settings=settings,
            clock=clock,
            db=db,
            live=live,
            metrics=Metrics(),
            passwords=passwords or Passwords(),
            tokens=tokens,
            authenticator=Authenticator(db, tokens),
        )
    finally:
        await live.close()
        await db.close()


def provide(app: web.Application, s: Services) -> None:
    """Give each API the objects it declared an AppKey for."""
    app[CLOCK] = s.clock
    app[METRICS] = s.metrics
    app[DATABASE] = s.db
    app[LIVE] = s.live
    app[AUTHENTICATOR] = s.authenticator
