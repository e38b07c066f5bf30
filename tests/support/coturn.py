"""A real coturn (Debian's `turnserver`) on loopback, for the TURN tests and the browser room
tests: the TURN REST scheme with a shared secret (FACTS.md has the flags and why)."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.realtime.test_cli import free_port


@dataclass(frozen=True)
class Turn:
    url: str
    secret: str


def free_udp_range(size: int) -> int:
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


@contextmanager
def running_coturn(where: Path, secret: str, *, relay_ports: int = 32) -> Iterator[Turn]:
    """coturn listening on a free loopback port until the block ends; its files in `where`."""
    port, low = free_port(), free_udp_range(relay_ports)
    command = [
        "turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
        f"--listening-port={port}", f"--min-port={low}", f"--max-port={low + relay_ports - 1}",
        "--no-tls", "--no-dtls", "--fingerprint", "--use-auth-secret",
        f"--static-auth-secret={secret}", "--realm=test", "--allow-loopback-peers", "--no-cli",
        f"--pidfile={where / 'turnserver.pid'}", f"--log-file={where / 'turnserver.log'}",
        "--simple-log", "--verbose", f"--db={where / 'turndb'}",
    ]  # fmt: skip
    with (where / "turnserver.out").open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):  # 15 s: a loaded machine starts it slowly
            if process.poll() is not None:
                raise AssertionError(f"turnserver exited: {(where / 'turnserver.out').read_text()}")
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
