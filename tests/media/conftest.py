"""Media tests run on the production stack only: they are real-time and slow to run twice,
and what they check (WebRTC through our signalling) does not depend on the stack."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from realtime.settings import Settings
from tests.media.endpoints import Endpoint
from tests.realtime.test_cli import free_port
from tests.signalling.conftest import app_url, peers  # noqa: F401  (fixtures)
from tests.signalling.peers import Peer
from tests.support.stacks import Stack

MakeEndpoint = Callable[..., Endpoint]


@pytest.fixture
def settings(production_stack: Stack, tmp_path: Path) -> Settings:
    return production_stack.settings_for(tmp_path)


@pytest.fixture
async def endpoints() -> AsyncIterator[MakeEndpoint]:
    """`endpoints(peer, ice_servers, relay=False)`: an aiortc endpoint, closed after the test."""
    made: list[Endpoint] = []

    def make(peer: Peer, ice_servers: list[dict[str, Any]], *, relay: bool = False) -> Endpoint:
        endpoint = Endpoint(peer, ice_servers, relay=relay)
        made.append(endpoint)
        return endpoint

    yield make
    for endpoint in made:
        await endpoint.close()


@dataclass(frozen=True)
class Turn:
    url: str
    secret: str


def _free_udp_range(size: int) -> int:
    """The first of `size` consecutive UDP ports that are free now (coturn's relay ports)."""
    rng = random.Random()
    for _ in range(50):
        low = rng.randrange(40000, 60000 - size)
        sockets: list[socket.socket] = []
        try:
            for port in range(low, low + size):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError("no free UDP port range for coturn")


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Turn]:
    """A real coturn on loopback with a shared secret (the TURN REST scheme), stopped after."""
    secret = "coturn-test-secret"
    port, low = free_port(), _free_udp_range(32)
    log = tmp_path / "turnserver.log"
    command = [
        "turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
        f"--listening-port={port}", f"--min-port={low}", f"--max-port={low + 31}",
        "--no-tls", "--no-dtls", "--fingerprint", "--use-auth-secret",
        f"--static-auth-secret={secret}", "--realm=test", "--allow-loopback-peers", "--no-cli",
        f"--pidfile={tmp_path / 'turnserver.pid'}", f"--log-file={log}", "--simple-log",
        "--verbose", f"--db={tmp_path / 'turndb'}",
    ]  # fmt: skip
    with (tmp_path / "turnserver.out").open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # 15 s: a loaded machine starts it slowly
            if process.poll() is not None:
                raise AssertionError(
                    f"turnserver exited: {(tmp_path / 'turnserver.out').read_text()}"
                )
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("turnserver did not listen")
        yield Turn(f"turn:127.0.0.1:{port}?transport=udp", secret)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
