"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from realtime import migrate
from realtime.db import Database
from realtime.schema import metadata
from realtime.settings import Settings


async def test_migrated_database_matches_the_models(settings: Settings) -> None:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), metadata
                )
            )
        assert diff == []
        assert await migrate.current(db) == migrate.head()
    finally:
        await db.close()


async def test_reference_data_is_loaded(settings: Settings) -> None:
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.engine.connect() as conn:
            specialties = (await conn.execute(text("SELECT count(*) FROM specialties"))).scalar()
            agreements = (await conn.execute(text("SELECT count(*) FROM agreements"))).scalar()
        assert specialties == 20
        assert agreements == 1
    finally:
        await db.close()


async def test_account_email_migration_normalises_emails_and_keeps_old_accounts_bookable(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    emails = {
        "ann": "\uff41nn@example.org",  # stored before NFKC: a full-width a
        "bob": "bob@example.org",
        "carl-full-width": "\uff43arl@example.org",  # normalises to the next one's address
        "carl": "carl@example.org",
    }
    try:
        await migrate.upgrade(db, "0fab94ce4c16")  # the revision before account email
        async with db.engine.begin() as conn:
            for n, email in enumerate(emails.values()):
                await conn.execute(
                    text(
                        "INSERT INTO users (id, email, password_hash, role, display_name, "
                        "time_zone, created_at, token_version) VALUES (:id, :email, 'x', "
                        "'client', 'User', 'UTC', '2026-01-01 00:00:00', 0)"
                    ),
                    {"id": f"{n:032x}", "email": email},
                )
        await migrate.upgrade(db)
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(text("SELECT email, email_verified_at FROM users ORDER BY id"))
            ).all()
    finally:
        await db.close()
    assert [r.email for r in rows] == [
        "ann@example.org",
        "bob@example.org",
        "\uff43arl@example.org",  # left alone: merging two accounts is not a migration's call
        "carl@example.org",
    ]
    assert all(r.email_verified_at is not None for r in rows)
