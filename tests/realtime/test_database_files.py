"""The embedded database's files are readable by their owner only."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from realtime.db import Database


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_a_new_database_is_made_owner_only(tmp_path: Path) -> None:
    db_file = tmp_path / "var" / "data" / "flourish.db"
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        async with db.transaction() as conn:  # a write: SQLite makes its -wal and -shm files
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        made = sorted(p.name for p in db_file.parent.iterdir())
        assert made == ["flourish.db", "flourish.db-shm", "flourish.db-wal"]
        assert {name: mode(db_file.parent / name) for name in made} == dict.fromkeys(made, 0o600)
        assert (mode(db_file.parent), mode(db_file.parent.parent)) == (0o700, 0o700)
    finally:
        await db.close()


async def test_an_existing_database_file_is_made_owner_only(tmp_path: Path) -> None:
    db_file = tmp_path / "old.db"
    db_file.touch(mode=0o644)
    db_file.chmod(0o644)
    before = mode(tmp_path)
    db = Database(f"sqlite+aiosqlite:///{db_file}")
    try:
        await db.ping()
        assert mode(db_file) == 0o600
        assert mode(tmp_path) == before  # a directory we did not make is left as it is
    finally:
        await db.close()
