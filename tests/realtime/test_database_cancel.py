"""Work cancelled while it holds an embedded-database connection leaves nothing running: the
connection is thrown away, closed, and no task waits for it for ever (a shutdown that waits
for its tasks would hang)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from realtime.db import Database


def closing_connections() -> list[asyncio.Task[object]]:
    return [
        task
        for task in asyncio.all_tasks()
        if "_terminate_graceful_close" in task.get_coro().__qualname__  # type: ignore[union-attr]
        or "_close_sqlite_connection" in task.get_coro().__qualname__  # type: ignore[union-attr]
    ]


async def test_writers_cancelled_twice_leave_no_connection_closing_for_ever(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cancel.db'}")
    try:
        async with db.transaction() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))

        async def write() -> None:
            while True:
                async with db.transaction() as conn:
                    await conn.execute(text("INSERT INTO t VALUES (1)"))

        for _ in range(30):
            writers = [asyncio.create_task(write()) for _ in range(4)]
            await asyncio.sleep(0.01)
            # Cancelled again while the pool throws their connections away (as a shutdown
            # that cancels what is still running does).
            for _ in range(5):
                for writer in writers:
                    writer.cancel()
                await asyncio.sleep(0)
            _, running = await asyncio.wait(writers, timeout=5)
            assert not running
        closing = closing_connections()
        if closing:
            await asyncio.wait(closing, timeout=5)
        assert [task for task in closing if not task.done()] == []
        async with db.transaction() as conn:  # the database is still there to use
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() > 0
    finally:
        await db.close()
