"""The client address behind trusted proxies: the right-most forwarded entry not theirs."""

from __future__ import annotations

import ipaddress

import pytest

from realtime.addresses import client_of

BALANCER = (ipaddress.ip_network("10.0.0.0/24"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "client"),
    [
        # No trusted proxy: the peer, whatever the header says.
        ("203.0.113.9", "198.51.100.7", (), "203.0.113.9"),
        ("10.0.0.2", "198.51.100.7", (), "10.0.0.2"),
        # From the balancer: the address it appended.
        ("10.0.0.2", "198.51.100.7", BALANCER, "198.51.100.7"),
        # A client's own entries are to the left of the balancer's: never believed.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", BALANCER, "198.51.100.7"),
        ("10.0.0.2", "10.0.0.7, 198.51.100.7", BALANCER, "198.51.100.7"),
        # Two of our proxies in a row are both skipped.
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", BALANCER, "198.51.100.7"),
        # The header is not read from a peer that is not a trusted proxy.
        ("203.0.113.9", "198.51.100.7", BALANCER, "203.0.113.9"),
        # From the balancer without the header, or with garbage: the last address believed.
        ("10.0.0.2", None, BALANCER, "10.0.0.2"),
        ("10.0.0.2", "not-an-address", BALANCER, "10.0.0.2"),
        ("10.0.0.2", "198.51.100.7, junk, 10.0.0.3", BALANCER, "10.0.0.3"),
        (
            "::1",
            "2001:db8::7",
            (ipaddress.ip_network("::1/128"),),
            "2001:db8::7",
        ),
        (None, "198.51.100.7", BALANCER, "unknown"),
    ],
)
def test_client_of(
    peer: str | None,
    forwarded: str | None,
    proxies: tuple[ipaddress.IPv4Network, ...],
    client: str,
) -> None:
    assert client_of(peer, forwarded, proxies) == client
