"""localstripe, a Stripe-compatible server, run as a separate process for the payment tests.

`localstripe --port P --from-scratch` on a free port; stopped (and waited for) at the end of the
session. It implements PaymentIntents and refunds and signs its webhooks as Stripe does; it has
no Connect (see /work/shared/FACTS.md). `register_webhook` points its webhooks at a test's app.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_SECRET = "whsec_localstripe_test"


@dataclass(frozen=True)
class LocalStripe:
    url: str

    def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        """Send every event to `url`, signed with `secret` (replaces the previous target)."""
        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(f"{self.url}/_config/webhooks/tests", data=data)
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running() -> Iterator[LocalStripe]:
    port = free_port()
    binary = Path(sys.executable).with_name("localstripe")
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, process)
        yield LocalStripe(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1).close()
        except urllib.error.HTTPError:
            return  # answering (401 without a key): it is up
        except OSError:
            time.sleep(0.05)
            continue
        return
    raise RuntimeError("localstripe did not start")
