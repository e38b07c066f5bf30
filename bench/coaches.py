"""Bulk-loading generated coaches into PostgreSQL with COPY, for the directory benchmark."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import multiprocessing
import random
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ARRAY, JSON, Table

from booking.storage.applications import ApplicationEvent, ProfessionalReference
from booking.storage.reviews import Review
from realtime.db import Database
from realtime.demo import UNUSABLE_HASH
from realtime.demo.profiles import TABLES, Rows, add_coach, draft_coach

CHUNK = 5_000
# The directory never reads these; loading them would only slow the seed.
SKIPPED = {Review, ApplicationEvent, ProfessionalReference}
# The tables loaded, in insertion order, with their models.
LOADED = [(model, cast(Table, model.__table__)) for model in TABLES if model not in SKIPPED]


async def load(db: Database, schema: str, coaches: int, now: datetime) -> None:
    """COPY `coaches` generated coaches into the schema. Worker processes render CHUNK coaches
    at a time as CSV (each chunk from its own seed, so the data does not depend on timing)
    while PostgreSQL takes the previous ones. The rows are consistent by construction, so
    foreign-key triggers are skipped (`session_replication_role`, as pg_restore does). Then
    VACUUM ANALYZE: statistics for the planner, and the visibility map that lets index-only
    scans skip the table, as autovacuum would leave it in a while."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as workers:
        chunks = [
            loop.run_in_executor(workers, _chunk, index, first, min(first + CHUNK, coaches), now)
            for index, first in enumerate(range(0, coaches, CHUNK))
        ]
        async with db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            copier: Any = raw.driver_connection
            await copier.execute("SET session_replication_role = replica")
            for chunk in chunks:
                for (_, table), data in zip(LOADED, await chunk, strict=True):
                    await copier.copy_to_table(
                        table.name,
                        source=io.BytesIO(data),
                        columns=[column.name for column in table.columns],
                        schema_name=schema,
                        format="csv",
                        force_null=[column.name for column in table.columns if column.nullable]
                        or None,
                    )
            await copier.execute("RESET session_replication_role")
            # Outside a transaction: COPY through the driver commits each table by itself.
            await copier.execute("VACUUM ANALYZE")


def _chunk(index: int, first: int, last: int, now: datetime) -> list[bytes]:
    """Coaches `first` to `last` as one CSV document per loaded table, in LOADED order."""
    rng = random.Random(2026_000 + index)
    rows: Rows = {model: [] for model in TABLES}
    for n in range(first, last):
        add_coach(
            rows,
            draft_coach(rng),
            now,
            email=f"coach{n}@bench.flourish.example",
            password_hash=UNUSABLE_HASH,
            reverify_in=timedelta(days=rng.randint(20, 360)),
        )
    found = []
    for model, table in LOADED:
        out = io.StringIO()
        # Python 3.11 writes None as "" here: FORCE_NULL reads it back as NULL.
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerows(_record(table, row) for row in rows[model])
        found.append(out.getvalue().encode())
    return found


def _record(table: Table, row: dict[str, Any]) -> list[Any]:
    """The row's values in column order (missing ones get their Python-side default), as
    strings and numbers for CSV."""
    values = []
    for column in table.columns:
        if column.name in row:
            value = row[column.name]
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg  # type: ignore[attr-defined]
        elif column.default is not None and column.default.is_callable:
            value = column.default.arg(None)  # type: ignore[attr-defined]
        else:
            value = None
        if isinstance(column.type, JSON):
            value = json.dumps(value)
        elif isinstance(column.type, ARRAY):
            value = "{" + ",".join(_array_item(str(item)) for item in value) + "}"
        elif isinstance(value, (uuid.UUID, datetime, date)):
            value = value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
        values.append(value)
    return values


def _array_item(item: str) -> str:
    """One element of a PostgreSQL array literal, quoted."""
    return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
