"""What aiohttp's parser refuses before any route runs is problem+json too, over a raw socket
(a client library would refuse to send such requests)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from realtime.app import create_app
from realtime.edge import ProblemAppRunner
from realtime.settings import Environment, Settings
from tests.conftest import FAST_PASSWORDS
from tests.support.clock import FakeClock
from tests.support.stacks import Stack


async def raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as it is; the status, headers and body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)  # the server closes
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in fields.items()}, body


async def serving(settings: Settings) -> AsyncIterator[int]:
    app = create_app(settings, clock=FakeClock(), passwords=FAST_PASSWORDS)
    runner = ProblemAppRunner(app, production=settings.production)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@pytest.fixture
async def port(settings: Settings) -> AsyncIterator[int]:
    async for found in serving(settings):
        yield found


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (get("/api/" + "a" * 9000), 414, "request_line_too_long"),
        (get("/healthz", "X-Long: " + "b" * 9000), 431, "headers_too_large"),
        (get("/healthz", *[f"X-H{i}: v" for i in range(200)]), 431, "headers_too_large"),
        (b"GET /healthz HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", 400, "malformed_request"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "malformed_request"),
    ],
    ids=["request line", "header", "header count", "header syntax", "tls hello", "length"],
)
async def test_refusals_before_any_route_are_problems(
    port: int, request_bytes: bytes, status: int, code: str
) -> None:
    got, headers, body = await raw(port, request_bytes)
    assert got == status
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (status, code)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["server"] == "flourish"
    # And the connection is closed (`raw` read to its end).


async def test_a_refused_header_is_not_logged(port: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    token = "Bearer eyJsecret" + "t" * 9000
    status, _, _ = await raw(port, get("/healthz", f"Authorization: {token}"))
    assert status == 431
    assert "eyJsecret" not in caplog.text
    assert "headers_too_large" in caplog.text


async def test_a_good_request_is_served_as_ever(port: int) -> None:
    status, headers, body = await raw(port, get("/healthz", "Connection: close"))
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["server"] == "flourish"


async def test_refusals_carry_hsts_in_production(embedded_stack: Stack, tmp_path: Path) -> None:
    settings = replace(embedded_stack.settings_for(tmp_path), env=Environment.PRODUCTION)
    async for port in serving(settings):
        _, headers, _ = await raw(port, get("/api/" + "a" * 9000))
        assert headers["strict-transport-security"].startswith("max-age=")
