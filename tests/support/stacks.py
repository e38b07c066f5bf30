"""The two stacks every database test runs on, each isolated per test run.

`embedded`: SQLite and in-process live state (the default a new user gets).
`production`: PostgreSQL and Redis, as deployed. PostgreSQL gets a schema of its own per test
run and Redis a key prefix of its own, so runs sharing the machine's services never meet.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import redis
from sqlalchemy import text

from booking.storage.reference import initial_rows
from realtime import migrate
from realtime.db import Database
from realtime.schema import metadata
from realtime.settings import Environment, Settings

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
METRICS_TOKEN = "test-metrics-token-long-enough-0123456789"
# What a Prometheus scrape with the test token sends.
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}
# A fixed master key, so that a test can build a second app (or process) on the same database.
MASTER_KEYS = (("test1", bytes(range(32))),)
MASTER_KEYS_VARIABLE = "test1:" + base64.b64encode(MASTER_KEYS[0][1]).decode()
RUN_ID = uuid.uuid4().hex[:10]


def base_settings(**overrides: object) -> Settings:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        secret_key=SECRET,
        metrics_token=METRICS_TOKEN,
        master_keys=MASTER_KEYS,
        master_key_id="test1",
        auto_migrate=False,
        log_format="text",
    )
    return replace(settings, **overrides)  # type: ignore[arg-type]


@dataclass
class Stack:
    """One migrated database plus live state, reset between tests."""

    name: str
    template: Settings
    sqlite_template: Path | None = None

    def settings_for(self, tmp_path: Path, **overrides: object) -> Settings:
        """A fresh, migrated database with only reference data, and a Redis prefix of this
        test's own (counters in Redis expire by real time, so they must not carry over)."""
        overrides.setdefault("resource_dir", str(tmp_path / "resources"))
        if self.sqlite_template is not None:
            db_file = tmp_path / "flourish.db"
            shutil.copyfile(self.sqlite_template, db_file)
            overrides.setdefault("database_url", f"sqlite+aiosqlite:///{db_file}")
        else:
            asyncio.run(_empty(self.template))
            overrides.setdefault(
                "redis_prefix", f"{self.template.redis_prefix}{uuid.uuid4().hex[:8]}:"
            )
        return replace(self.template, **overrides)  # type: ignore[arg-type]


async def _empty(settings: Settings) -> None:
    """Empty every table, then put back the reference data the migrations insert. DELETE is
    much faster than TRUNCATE on the handful of rows a test writes."""
    conn = await asyncpg.connect(
        settings.database_url.replace("postgresql+asyncpg", "postgresql"),
        server_settings={"search_path": settings.database_schema},
    )
    try:
        async with conn.transaction():
            for table in reversed(metadata.sorted_tables):
                await conn.execute(f'DELETE FROM "{table.name}"')
            for table, rows in initial_rows().items():
                columns = list(rows[0])
                await conn.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES '
                    f"({', '.join(f'${i + 1}' for i in range(len(columns)))})",
                    [tuple(row[c] for c in columns) for row in rows],
                )
    finally:
        await conn.close()


def make_embedded(workdir: Path) -> Stack:
    template = workdir / "template.db"
    settings = base_settings(database_url=f"sqlite+aiosqlite:///{template}")
    asyncio.run(_migrate(settings))
    return Stack("embedded", settings, sqlite_template=template)


def make_production() -> Stack:
    schema = f"t_{RUN_ID}"
    settings = base_settings(
        database_url=POSTGRES_URL,
        database_schema=schema,
        redis_url=REDIS_URL,
        redis_prefix=f"test:{RUN_ID}:",
    )
    asyncio.run(_migrate(settings))
    return Stack("production", settings)


async def _migrate(settings: Settings) -> None:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        await migrate.upgrade(db)
    finally:
        await db.close()


def drop_production(stack: Stack) -> None:
    async def drop() -> None:
        db = Database(stack.template.database_url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(
                    text(f'DROP SCHEMA IF EXISTS "{stack.template.database_schema}" CASCADE')
                )
        finally:
            await db.close()

    asyncio.run(drop())
    client = redis.Redis.from_url(stack.template.redis_url)
    try:
        keys = list(client.scan_iter(match=f"{stack.template.redis_prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
