"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

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
