"""The client's address, for the per-address limits, behind the load balancers we trust.

`X-Forwarded-For` is a list each proxy appends the address it was connected from to. Only the
entries written by our own proxies can be believed: everything to their left was sent by the
client, who can write anything there. So the header is read only when the connection's peer is
one of `TRUSTED_PROXIES`, from the right, skipping our proxies, and the first address that is
not one of them is the client. With no trusted proxy the peer is the client, whatever the
header says; a malformed entry stops the walk at the last address believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from realtime.settings import IPNetwork

UNKNOWN = "unknown"


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_of(peer: str | None, forwarded: str | None, proxies: Sequence[IPNetwork]) -> str:
    """The client address of a connection from `peer` carrying `X-Forwarded-For: forwarded`."""
    if not peer:
        return UNKNOWN
    address = _parse(peer)
    if address is None or not proxies:
        return peer
    believed = peer
    hops = [entry for entry in (forwarded or "").split(",") if entry.strip()]
    while any(address in network for network in proxies):
        if not hops:
            return believed
        previous = _parse(hops.pop())
        if previous is None:
            return believed
        address, believed = previous, str(previous)
    return believed


def client_address(request: web.Request, proxies: Sequence[IPNetwork]) -> str:
    """The address of the client that sent `request` (see the module docstring)."""
    return client_of(request.remote, request.headers.get("X-Forwarded-For"), proxies)
