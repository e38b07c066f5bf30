"""The official JavaScript client (`socket.io-client` from npm, run by node) connects to
`/session`, joins and relays a signal: the server speaks the protocol browsers use.
`scripts/test` installs it (`install_node_packages tests/node`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.sessions import book, open_window, token
from tests.support.clock import FakeClock

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


async def test_the_javascript_client_joins_and_relays(
    client: Client, services: Services, clock: FakeClock, app_url: str
) -> None:
    assert (NODE_DIR / "node_modules" / "socket.io-client").is_dir(), (
        "run scripts/test (or: npm ci --prefix tests/node) to install socket.io-client"
    )
    booked = await book(client, services)
    open_window(clock)
    process = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "session.mjs"),
        app_url,
        booked.booking_id,
        token(booked.coach),
        token(booked.member),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    seen = json.loads(out)

    assert seen["refused"]["code"] == "token_invalid"
    assert (seen["coach"]["ok"], seen["coach"]["role"], seen["coach"]["peers"]) == (
        True,
        "coach",
        [],
    )
    assert seen["member"]["peers"][0]["peer_id"] == seen["coach"]["peer_id"]
    assert seen["peer_joined"] == {
        "peer_id": seen["member"]["peer_id"],
        "role": "client",
        "display_name": "Cleo Client",
        "via": "web",
    }
    assert seen["signal"] == {
        "from": seen["member"]["peer_id"],
        "description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"},
    }
    assert (seen["error"]["code"], seen["error"]["event"]) == ("bad_payload", "signal")
