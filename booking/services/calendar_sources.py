"""Reading a coach's own calendar over the network (an iCal URL with aiohttp, CalDAV with the
`caldav` package), carefully: it is a URL a user typed.

Only http(s) (a `webcal://` address is read as https); the host's addresses are checked before
connecting and again by the connector's resolver for every connection (redirects included, at
most MAX_REDIRECTS, each checked): private, loopback, link-local, multicast and reserved
addresses are refused unless `CALENDAR_ALLOW_PRIVATE_ADDRESSES`, so a coach cannot make the
server read from inside its network. A whole read has a timeout and a size cap; every failure is
a `CalendarRefused` with a code and a message fit to show the coach (never the URL itself:
a secret iCal URL is a credential).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import caldav
import caldav.lib.error as caldav_error
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from realtime.errors import AppError, Code

MAX_REDIRECTS = 3


class CalendarRefused(AppError):
    status = 422
    title = "Calendar not readable"


@dataclass(frozen=True)
class FetchRules:
    timeout_seconds: float
    max_bytes: int
    allow_private: bool


def checked_url(url: str) -> tuple[str, str]:
    """(the URL to read, its host); refuses anything but an absolute http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        parts, scheme = parts._replace(scheme="https"), "https"
    if scheme not in ("http", "https") or not parts.hostname:
        raise CalendarRefused(
            Code.CALENDAR_MALFORMED, "The calendar address must be an http(s) URL with a host."
        )
    return urlunsplit(parts), parts.hostname


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def _address_refused() -> CalendarRefused:
    return CalendarRefused(
        Code.CALENDAR_ADDRESS_REFUSED,
        "The calendar's host is a private or local address, which this server does not read.",
    )


class GuardedResolver(AbstractResolver):
    """The default resolver, refusing hosts with a private or local address."""

    def __init__(self) -> None:
        self.inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if any(_refused_address(r["host"]) for r in found):
            raise _address_refused()
        return found

    async def close(self) -> None:
        await self.inner.close()


def check_literal(host: str, rules: FetchRules) -> None:
    """An IP written in the URL skips the resolver: check it here."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return
    if not rules.allow_private and _refused_address(host.strip("[]")):
        raise _address_refused()


def _unreachable(why: str) -> CalendarRefused:
    return CalendarRefused(Code.CALENDAR_UNREACHABLE, f"The calendar could not be read: {why}.")


async def fetch_ical(url: str, rules: FetchRules) -> bytes:
    """The body at `url`, at most `rules.max_bytes`, within `rules.timeout_seconds`."""
    target, host = checked_url(url)
    connector: aiohttp.TCPConnector = (
        aiohttp.TCPConnector()
        if rules.allow_private
        else aiohttp.TCPConnector(resolver=GuardedResolver())
    )
    timeout = aiohttp.ClientTimeout(total=rules.timeout_seconds)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            for _ in range(MAX_REDIRECTS + 1):
                check_literal(host, rules)
                async with http.get(
                    target, allow_redirects=False, headers={"Accept": "text/calendar"}
                ) as response:
                    if response.status in (301, 302, 303, 307, 308):
                        location = response.headers.get("Location", "")
                        target, host = checked_url(str(response.url.join(URL(location))))
                        continue
                    if response.status != 200:
                        raise _unreachable(f"its server answered HTTP {response.status}")
                    return await _capped(response, rules.max_bytes)
            raise _unreachable("too many redirects")
    except CalendarRefused:
        raise
    except TimeoutError as exc:
        raise _unreachable(f"no answer within {rules.timeout_seconds:g} s") from exc
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.__cause__, CalendarRefused):
            raise exc.__cause__ from None
        raise _unreachable("the connection was refused or the host is unknown") from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise _unreachable(type(exc).__name__) from exc


async def _capped(response: Any, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(65536):
        body += chunk
        if len(body) > max_bytes:
            raise _unreachable(f"it is larger than {max_bytes} bytes")
    return bytes(body)


async def check_host(host: str, rules: FetchRules) -> None:
    """Refuse a host resolving to a private or local address (for clients that resolve on
    their own, as the CalDAV one does: a rebinding between this check and its connection is
    possible there, which is why `CALENDAR_ALLOW_PRIVATE_ADDRESSES` defaults to false and the
    iCal path pins its checks in the resolver)."""
    if rules.allow_private:
        return
    check_literal(host, rules)
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as exc:
        raise _unreachable("the host is unknown") from exc
    if any(_refused_address(str(info[4][0])) for info in found):
        raise _address_refused()


async def fetch_caldav(
    url: str, username: str, password: str, rules: FetchRules, start: datetime, end: datetime
) -> list[bytes]:
    """The events of the CalDAV calendar collection at `url` overlapping [`start`, `end`), as
    iCalendar objects (recurring ones whole: the caller expands them), read with `caldav` in a
    worker thread (its client is synchronous)."""
    target, host = checked_url(url)
    await check_host(host, rules)

    def read() -> list[bytes]:
        with caldav.DAVClient(  # type: ignore[operator]
            url=target,
            username=username,
            password=password,
            timeout=int(rules.timeout_seconds),
            require_tls=False,  # the URL is the coach's; plain http only where they chose it
            enable_rfc6764=False,
        ) as dav:
            found = dav.calendar(url=target).search(start=start, end=end, event=True)
            out, size = [], 0
            for item in found:
                data = str(item.data).encode()
                size += len(data)
                if size > rules.max_bytes:
                    raise _unreachable(f"it is larger than {rules.max_bytes} bytes")
                out.append(data)
            return out

    try:
        return await asyncio.wait_for(asyncio.to_thread(read), rules.timeout_seconds * 3)
    except CalendarRefused:
        raise
    except caldav_error.AuthorizationError as exc:
        raise CalendarRefused(
            Code.CALENDAR_LOGIN_FAILED, "The CalDAV server refused this user name and password."
        ) from exc
    except caldav_error.NotFoundError as exc:
        raise _unreachable("there is no calendar at this address") from exc
    except TimeoutError as exc:
        raise _unreachable(f"no answer within {rules.timeout_seconds:g} s") from exc
    except Exception as exc:  # connection and protocol errors of caldav and its HTTP client
        raise _unreachable(type(exc).__name__) from exc
