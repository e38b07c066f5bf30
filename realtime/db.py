"""The relational database: one async engine, sessions, the declarative base.

The same models and queries run on SQLite (aiosqlite, the embedded default) and PostgreSQL
(asyncpg, production). Times are stored as UTC; SQLite hands them back naive, so read them
through `realtime.clock.utc`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, MetaData, event, text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import DateTime, TypeDecorator

from realtime.clock import utc

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else utc(value)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# How often a close of a thrown-away SQLite connection looks whether its thread still runs.
SQLITE_CLOSE_POLL = 0.25


async def _close_sqlite_connection(self: AsyncAdapt_aiosqlite_connection) -> None:
    """SQLAlchemy's graceful close of an aiosqlite connection it throws away (a task was
    cancelled while it held the connection), without aiosqlite's `close()`: when the task is
    cancelled again during that close, aiosqlite (0.22) stops its worker thread and then waits
    for the thread once more, forever, after the thread has gone (a task pending for ever, so a
    shutdown that waits for its tasks hangs; seen as a test server stopped during a session's
    leave writes, and as sqlalchemy#13039 and wapiti-scanner/wapiti#802 elsewhere). `stop()`
    closes the sqlite3 connection (an open transaction rolls back) and ends the thread; this
    waits until it has (at most the busy timeout, if the thread waits for a lock), or until
    the thread is found gone without answering."""
    driver = self._connection
    if driver._connection is None:  # closed already, its thread ended or ending
        return
    stopped = driver.stop()
    if stopped is None:
        return
    cancelled = False
    while not stopped.done():
        try:
            await asyncio.wait({stopped}, timeout=SQLITE_CLOSE_POLL)
        except asyncio.CancelledError:
            # Waited for all the same, as aiosqlite's own close does: a thread still at work
            # would otherwise answer into an event loop that may be closed by then.
            cancelled = True
        if not stopped.done() and not driver._thread.is_alive():
            # The thread ended before it took our request: nothing will answer it, and the
            # sqlite3 connection is finalized by its own `__del__`.
            stopped.cancel()
            driver._connection = None
            break
    if cancelled:
        raise asyncio.CancelledError


AsyncAdapt_aiosqlite_connection._terminate_graceful_close = (  # type: ignore[method-assign]
    _close_sqlite_connection
)


class Database:
    """The engine and its session factory. `session()` is one unit of work."""

    def __init__(
        self, url: str, *, schema: str = "", pool_size: int = 20, echo: bool = False
    ) -> None:
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            _ensure_sqlite_dir(url)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # Connections beyond pool_size are closed when returned, and a new one costs a
            # connection handshake and re-preparing every statement: keep bursts rare.
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max(pool_size // 4, 1)
            # No ping per checkout (a round trip each); connections are recycled instead.
            kwargs["pool_recycle"] = 1800
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin_immediate)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a transaction that commits on success and rolls back on any
        error: for hot paths that need no ORM unit of work (statements, not objects)."""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for statements that each stand alone (a read, one insert). On
        PostgreSQL each commits on its own, which saves the BEGIN and COMMIT round trips; on
        SQLite they share one transaction that commits at the end."""
        if self.is_sqlite:
            async with self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection for reads that must not wait for a writer: on SQLite a deferred
        transaction (WAL lets it read beside a writer), so it can be used while another
        connection of this process holds the write lock; autocommit on PostgreSQL."""
        if self.is_sqlite:
            async with self.engine.connect() as conn:
                await conn.execution_options(**{_DEFERRED: True})
                yield conn
                await conn.rollback()
        else:
            async with self.autocommit() as conn:
                yield conn

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and
# may succeed if run again. Concurrent inserts refused by one exclusion constraint can deadlock.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def lost_a_race(error: DBAPIError) -> bool:
    """Whether the database aborted this transaction only because of a concurrent one."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


async def retrying(work: Callable[[], Awaitable[T]], attempts: int = 5) -> T:
    """Run a whole transaction again when the database aborted it for a concurrent one."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except DBAPIError as error:
            if attempt == attempts or not lost_a_race(error):
                raise
    raise AssertionError("unreachable")


def _ensure_sqlite_dir(url: str) -> None:
    """The database file, readable by its owner only: made here (0600, in a new directory of
    0700) before SQLite opens it, as SQLite would make it 0644 under the usual umask. SQLite
    gives its `-wal` and `-shm` files the database file's own permissions."""
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    file = Path(path)
    missing = [parent for parent in (file.parent, *file.parent.parents) if not parent.exists()]
    for directory in reversed(missing):  # only what we make: never an existing /tmp or home
        directory.mkdir(mode=0o700, exist_ok=True)
    os.close(os.open(file, os.O_CREAT | os.O_RDWR, 0o600))
    file.chmod(0o600)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # The driver's own transaction handling is off; `_sqlite_begin_immediate` starts each one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_DEFERRED = "flourish_deferred"


def _sqlite_begin_immediate(conn: Connection) -> None:
    """Every SQLite transaction takes the write lock at its start (`BEGIN IMMEDIATE`).

    SQLite has one writer at a time. A deferred transaction that reads and then writes fails at
    once with SQLITE_BUSY when another writer got in between (no busy wait in WAL mode);
    taking the lock up front makes concurrent writers queue (up to busy_timeout) instead, so a
    check and the write that follows it cannot interleave with another writer's."""
    if conn.get_execution_options().get(_DEFERRED):
        conn.exec_driver_sql("BEGIN")  # `Database.reading`: reads only
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")
