"""What one client may take of a server process's sockets and event handling, on every namespace.

- **Sockets**: at most `SOCKETS_PER_ADDRESS` open sockets (one per namespace connection) from one
  client address (`TRUSTED_PROXIES` says which address that is behind a balancer), and at most
  `SOCKETS_PER_USER` of one logged-in user; the next connect is refused with
  `too_many_sockets`. Counted per process: a socket lives on one process, and counts in Redis
  would outlive a process that died with its sockets.
- **Events**: a token bucket per socket for its client events (`SOCKET_EVENT_RATE` a second,
  bursts of twice that), and a second one for `/session`'s `signal`s (`SIGNAL_RATE`), which a
  call sends in bursts of ICE candidates. An event over its bucket is answered `rate_limited`
  and not handled.

All of it is in process memory and timed by the injected clock's `monotonic()`: a socket's
events all reach the process holding the socket, so nothing needs sharing, and a check costs
no round trip (the relay path is the hot path). The `limits` package (5.8, read in its source)
was considered: it offers fixed, moving and sliding windows but no token bucket, times them by
`time.time()` (not our `Clock`, so tests could not move time), and its memory storage expires
keys from a background task; a bucket here is four numbers on the socket's own record, dropped
at disconnect.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from realtime.addresses import client_address
from realtime.clock import Clock
from realtime.errors import AppError, Code
from realtime.settings import IPNetwork, Settings
from signalling.acks import Ack, Told, error_ack


class Bucket:
    """A token bucket: `rate` a second, bursts up to `burst`."""

    __slots__ = ("at", "burst", "rate", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Flow(StrEnum):
    """Which of a socket's buckets an event takes from."""

    EVENTS = "events"
    SIGNALS = "signals"
    CHAT = "chat"  # chat:send and chat:typing, besides EVENTS (CHAT_RATE)


@dataclass(eq=False)
class Admitted:
    address: str
    user: str | None
    buckets: dict[Flow, Bucket] = field(default_factory=dict)


# (sid, raw payload) -> ack; and the catch-all's (event, sid, *args) -> ack
Event = Callable[[str, object], Awaitable[Ack]]
CatchAll = Callable[..., Awaitable[Ack]]


class SocketLimits:
    """One per server, shared by every namespace (see the module docstring)."""

    def __init__(
        self,
        clock: Clock,
        *,
        event_rate: int,
        signal_rate: int,
        chat_rate: int = 5,
        per_address: int,
        per_user: int,
        proxies: Sequence[IPNetwork] = (),
    ) -> None:
        self.clock = clock
        self.rates = {Flow.EVENTS: event_rate, Flow.SIGNALS: signal_rate, Flow.CHAT: chat_rate}
        self.per_address = per_address
        self.per_user = per_user
        self.proxies = tuple(proxies)
        self.sockets: dict[str, Admitted] = {}  # sid (namespace-wide unique) -> its record
        self.of_address: Counter[str] = Counter()
        self.of_user: Counter[str] = Counter()

    @classmethod
    def of(cls, settings: Settings, clock: Clock) -> SocketLimits:
        return cls(
            clock,
            event_rate=settings.socket_event_rate,
            signal_rate=settings.signal_rate,
            chat_rate=settings.chat_rate,
            per_address=settings.sockets_per_address,
            per_user=settings.sockets_per_user,
            proxies=settings.trusted_proxies,
        )

    def address(self, environ: dict[str, Any]) -> str:
        """The client address of a connecting socket (engine.io's own `REMOTE_ADDR` is a
        constant under aiohttp: the request is read instead)."""
        return client_address(environ["aiohttp.request"], self.proxies)

    def admit(
        self, sid: str, environ: dict[str, Any], user: str | None = None, *, by_address: bool = True
    ) -> None:
        """Record a connecting socket, or refuse it past a cap (`too_many_sockets`, an
        `AppError` the connect handler turns into a connect error). A connect handler that
        refuses the socket after this must `release` it. Without `by_address` (the server's
        own phone bridges), the address cap does not apply."""
        address = self.address(environ) if by_address else ""
        if by_address and self.of_address[address] >= self.per_address:
            raise AppError(
                Code.TOO_MANY_SOCKETS,
                f"At most {self.per_address} connections from one address (SOCKETS_PER_ADDRESS); "
                "close one first.",
            )
        if user is not None and self.of_user[user] >= self.per_user:
            raise AppError(
                Code.TOO_MANY_SOCKETS,
                f"At most {self.per_user} connections per user (SOCKETS_PER_USER); "
                "close one first.",
            )
        self.of_address[address] += 1
        if user is not None:
            self.of_user[user] += 1
        self.sockets[sid] = Admitted(address, user)

    def release(self, sid: str) -> None:
        """Forget a socket that disconnected."""
        admitted = self.sockets.pop(sid, None)
        if admitted is None:
            return
        _decrement(self.of_address, admitted.address)
        if admitted.user is not None:
            _decrement(self.of_user, admitted.user)

    def allow(self, sid: str, flow: Flow = Flow.EVENTS) -> bool:
        """Take a token for one event of `sid`; False if its bucket is empty."""
        admitted = self.sockets.get(sid)
        if admitted is None:
            return True  # not admitted here (connect still running): nothing to count
        now = self.clock.monotonic()
        bucket = admitted.buckets.get(flow)
        if bucket is None:
            rate = self.rates[flow]
            bucket = admitted.buckets[flow] = Bucket(rate, 2 * rate, now)
        return bucket.take(now)

    def over(self, flow: Flow = Flow.EVENTS) -> Ack:
        rate = self.rates[flow]
        what = {Flow.SIGNALS: "signals", Flow.CHAT: "chat events"}.get(flow, "events")
        return error_ack(Code.RATE_LIMITED, f"More than {rate} {what} a second; dropped.")

    def guard(self, handler: Event, told: Told | None = None) -> Event:
        """`handler`, answering `rate_limited` without running it when the socket is over its
        event rate (and telling the socket with `told`, as the namespace does for refusals)."""

        @functools.wraps(handler)
        async def run(sid: str, raw: object = None) -> Ack:
            if self.allow(sid):
                return await handler(sid, raw)
            ack = self.over()
            if told is not None:
                await told(sid, handler.__name__, ack)
            return ack

        return run

    def guard_any(self, handler: CatchAll) -> CatchAll:
        """`guard` for a namespace's catch-all handler, called (event, sid, *args)."""

        @functools.wraps(handler)
        async def run(event: str, sid: str, *args: object) -> Ack:
            if self.allow(sid):
                return await handler(event, sid, *args)
            return self.over()

        return run


def _decrement(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]
