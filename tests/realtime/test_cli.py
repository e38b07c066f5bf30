"""The `flourish` command as a new user and an operator run it: a real process on a real port."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from realtime import migrate
from realtime.audit import Audit
from realtime.cli import _collect_less
from realtime.db import Database
from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from realtime.settings import VARIABLES
from realtime.vault import MasterKeys, Vault
from tests.support.clock import FakeClock
from tests.support.stacks import POSTGRES_URL, REDIS_URL

FLOURISH = str(Path(sys.executable).parent / "flourish")
KEY_1 = "k1:" + base64.b64encode(bytes(range(32))).decode()
KEY_2 = "k2:" + base64.b64encode(bytes(range(64, 96))).decode()


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any setting of ours, plus `settings`."""
    ours = {v.name for v in VARIABLES}
    return {k: v for k, v in os.environ.items() if k not in ours} | settings


def run(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FLOURISH, *args],
        cwd=cwd,
        env=environment(**settings),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    log: Path
    output: Path

    def get(self, path: str) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> int:
        """SIGTERM, as Docker and systemd stop it; the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=30)


@contextmanager
def serving(cwd: Path, *args: str, **settings: str) -> Iterator[Server]:
    """`flourish serve` on a free port, once it answers /healthz (within about 20 s)."""
    port = free_port()
    log, output = cwd / "serve.log", cwd / "serve.out"
    with log.open("w") as stderr, output.open("w") as stdout:
        process = subprocess.Popen(
            [FLOURISH, "serve", "--port", str(port), *args],
            cwd=cwd,
            env=environment(**settings),
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    server = Server(process, port, log, output)
    try:
        for _ in range(200):
            if process.poll() is not None:
                raise AssertionError(f"flourish serve exited:\n{log.read_text()}")
            try:
                if server.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            time.sleep(0.1)
        else:
            raise AssertionError(f"flourish serve did not answer:\n{log.read_text()}")
        yield server
    finally:
        server.stop()


def test_serve_on_embedded_defaults_answers_and_stops_cleanly(tmp_path: Path) -> None:
    with serving(tmp_path) as server:
        assert server.get("/healthz") == (200, {"status": "ok"})
        status, body = server.get("/readyz")
        assert status == 200
        assert body["checks"] == {"database": "ok", "live_state": "ok"}
        assert server.stop() == 0
    assert (tmp_path / "var" / "flourish.db").is_file()
    assert (tmp_path / "var" / "secret_key").is_file()
    lines = server.log.read_text().splitlines()
    assert lines
    assert all(json.loads(line)["level"] for line in lines)
    assert any(f"http://127.0.0.1:{server.port}" in json.loads(line)["msg"] for line in lines)


def test_a_bad_port_stops_serve_naming_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", PORT="http")
    assert result.returncode == 2
    assert "PORT: expected a whole number from 1 to 65535" in result.stderr
    assert not (tmp_path / "var").exists()


def test_a_bad_gc_threshold_stops_serve_naming_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", GC_THRESHOLD="5")
    assert result.returncode == 2
    assert "GC_THRESHOLD" in result.stderr


def test_serve_freezes_what_lives_at_start_and_collects_the_young_less_often() -> None:
    before = gc.get_threshold()
    try:
        asyncio.run(_collect_less(12345))
        assert gc.get_threshold() == (12345, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_secret_is_named_but_not_shown(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", SECRET_KEY="hunter2-too-short")
    assert result.returncode == 2
    assert "SECRET_KEY" in result.stderr
    assert "hunter2" not in result.stderr


def test_production_refuses_the_embedded_database(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", FLOURISH_ENV="production")
    assert result.returncode == 2
    assert "DATABASE_URL: expected PostgreSQL in production" in result.stderr


def test_production_refuses_demo(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "serve",
        "--demo",
        FLOURISH_ENV="production",
        DATABASE_URL=POSTGRES_URL,
        REDIS_URL=REDIS_URL,
        SECRET_KEY="x" * 40,
        MASTER_KEYS=KEY_1,
        PAYMENTS_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
    )
    assert result.returncode == 2
    assert "--demo is refused in production" in result.stderr


def test_migrate_brings_a_new_database_to_the_newest_revision(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    first = run(tmp_path, "migrate", DATABASE_URL=url)
    again = run(tmp_path, "migrate", DATABASE_URL=url)
    assert (first.returncode, again.returncode) == (0, 0)
    assert "database is at the newest migration" in first.stdout
    with sqlite3.connect(tmp_path / "new.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head(),)
        ]


def test_migrate_without_a_database_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    result = run(tmp_path, "migrate", DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stderr.startswith("flourish: migrate failed:")
    assert "Traceback" not in result.stderr


def test_serve_on_a_taken_port_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run(tmp_path, "serve", "--port", port)
    assert result.returncode == 1
    assert "flourish: serve failed:" in result.stderr
    assert port in result.stderr


def test_create_admin_makes_an_admin_who_can_log_in(tmp_path: Path) -> None:
    admin = ["create-admin", "--email", "Ops@Example.org", "--password", "correct horse battery"]
    created = run(tmp_path, *admin)
    again = run(tmp_path, *admin)
    assert created.returncode == 0, created.stderr
    assert "ops@example.org created" in created.stdout
    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    with serving(tmp_path) as server:
        status, body = server.post(
            "/api/auth/login", {"email": "ops@example.org", "password": "correct horse battery"}
        )
    assert status == 200
    assert body["user"]["role"] == "admin"


def test_create_admin_refuses_a_short_password_naming_it(tmp_path: Path) -> None:
    result = run(tmp_path, "create-admin", "--email", "ops@example.org", "--password", "short")
    assert result.returncode == 1
    assert "password" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_demo_prints_logins_that_work(tmp_path: Path) -> None:
    with serving(tmp_path, "--demo") as server:
        status, body = server.post(
            "/api/auth/login", {"email": CLIENT_EMAIL, "password": DEMO_PASSWORD}
        )
    assert status == 200
    assert body["user"]["role"] == "client"
    printed = server.output.read_text()
    assert CLIENT_EMAIL in printed
    assert DEMO_PASSWORD in printed


def test_a_wrong_master_key_stops_serve_naming_the_setting(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate", MASTER_KEYS=KEY_1).returncode == 0
    wrong = "k1:" + base64.b64encode(bytes(32)).decode()
    result = run(tmp_path, "serve", MASTER_KEYS=wrong)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("flourish: configuration error: MASTER_KEYS: expected the master key")
    assert "'k1'" in result.stderr
    assert wrong.split(":")[1] not in result.stderr
    assert "Traceback" not in result.stderr


def test_rotate_master_key_rewraps_every_data_key_and_the_old_key_can_go(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'flourish.db'}"
    assert run(tmp_path, "migrate", MASTER_KEYS=KEY_1).returncode == 0

    async def seal() -> bytes:
        db = Database(url)
        try:
            sealer = Vault(db, FakeClock(), MasterKeys({"k1": bytes(range(32))}, "k1"))
            return await sealer.seal("booking:1", "details", b"private")
        finally:
            await db.close()

    sealed = asyncio.run(seal())
    both = {"MASTER_KEYS": f"{KEY_1},{KEY_2}", "MASTER_KEY_ID": "k2"}
    rotated = run(tmp_path, "rotate-master-key", **both)
    assert rotated.returncode == 0, rotated.stderr
    assert "1 data keys re-wrapped" in rotated.stdout
    assert "0 data keys re-wrapped" in run(tmp_path, "rotate-master-key", **both).stdout
    assert run(tmp_path, "migrate", MASTER_KEYS=KEY_2).returncode == 0

    async def opened() -> bytes:
        db = Database(url)
        try:
            sealer = Vault(db, FakeClock(), MasterKeys({"k2": bytes(range(64, 96))}, "k2"))
            await sealer.start()
            return await sealer.open("booking:1", "details", sealed)
        finally:
            await db.close()

    assert asyncio.run(opened()) == b"private"


def test_audit_verify_names_an_edited_row(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'flourish.db'}"

    async def record() -> None:
        db = Database(url)
        try:
            audit = Audit(db, FakeClock())
            for action in ("details.read", "notes.write", "notes.read"):
                await audit.record(
                    actor_id=None, action=action, booking_id=None, item_id=None, address=None
                )
        finally:
            await db.close()

    asyncio.run(record())
    intact = run(tmp_path, "audit", "verify")
    assert (intact.returncode, intact.stdout) == (0, "flourish: audit log intact\n")
    with sqlite3.connect(tmp_path / "var" / "flourish.db") as db:
        db.execute("UPDATE audit_log SET action = 'notes.read' WHERE seq = 2")
    broken = run(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert "flourish: audit log: row 2: edited (its hash does not match)" in broken.stderr
