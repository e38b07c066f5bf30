"""A real CalDAV server (Radicale) as a separate process on 127.0.0.1, with one htpasswd user,
and a calendar in it made with the `caldav` client, for the imported-calendar tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import caldav

from tests.support.localstripe import free_port

USER, PASSWORD = "coach", "radicale-s3cret"


@dataclass(frozen=True)
class Radicale:
    base: str
    calendar_url: str

    def calendar(self) -> Any:
        client = caldav.DAVClient(url=self.base, username=USER, password=PASSWORD, timeout=5)  # type: ignore[operator]
        return client.calendar(url=self.calendar_url)


@contextmanager
def radicale(folder: Path) -> Iterator[Radicale]:
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "htpasswd",
            "--auth-htpasswd-filename",
            str(users),
            "--auth-htpasswd-encryption",
            "plain",
            "--server-hosts",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):  # 20 s at most
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        else:
            raise RuntimeError("Radicale did not start")
        base = f"http://127.0.0.1:{port}/{USER}/"
        client = caldav.DAVClient(url=base, username=USER, password=PASSWORD, timeout=5)  # type: ignore[operator]
        made = client.principal().make_calendar(name="Practice", cal_id="practice")
        yield Radicale(base, str(made.url))
    finally:
        process.terminate()
        process.wait(timeout=10)
