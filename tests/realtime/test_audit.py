"""The audit log on both databases: a hash chain that names an edited or deleted row, one
chain under concurrent writers from two processes' pools, admins only, their reads audited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import OperationalError

from realtime.audit import Audit, AuditRow
from realtime.db import Database
from realtime.settings import Settings
from tests.support.clock import FakeClock

BOOKING = uuid.UUID("00000000-0000-4000-8000-000000000001")
ACTOR = uuid.UUID("00000000-0000-4000-8000-000000000002")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, schema=settings.database_schema)
    yield database
    await database.close()


async def five(audit: Audit) -> None:
    for n in range(5):
        await audit.record(
            actor_id=ACTOR,
            action="details.read",
            booking_id=BOOKING,
            item_id=f"item-{n}",
            address="203.0.113.7",
        )


async def test_an_intact_chain_verifies(db: Database) -> None:
    audit = Audit(db, FakeClock())
    assert await audit.verify() == []
    await five(audit)
    assert await audit.verify() == []
    newest = await audit.page(booking_id=BOOKING, limit=2)
    assert [e.seq for e in newest] == [5, 4]
    assert (newest[0].actor_id, newest[0].address, newest[0].item_id) == (
        ACTOR,
        "203.0.113.7",
        "item-4",
    )
    assert [e.seq for e in await audit.page(before=2)] == [1]


@pytest.mark.parametrize(
    "change",
    [
        {"action": "details.write"},
        {"actor_id": uuid.UUID(int=7)},
        {"address": "198.51.100.1"},
        {"item_id": None},
    ],
)
async def test_an_edited_row_is_named(db: Database, change: dict[str, object]) -> None:
    audit = Audit(db, FakeClock())
    await five(audit)
    async with db.session() as session:
        await session.execute(update(AuditRow).where(AuditRow.seq == 3).values(**change))
    assert await audit.verify() == ["row 3: edited (its hash does not match)"]


async def test_a_row_edited_with_its_hash_recomputed_breaks_the_next_link(db: Database) -> None:
    audit = Audit(db, FakeClock())
    await five(audit)
    async with db.session() as session:
        await session.execute(update(AuditRow).where(AuditRow.seq == 2).values(hash="f" * 64))
    problems = await audit.verify()
    assert "row 2: edited (its hash does not match)" in problems
    assert "row 3: does not link to the row before it" in problems


async def test_a_deleted_row_is_named(db: Database) -> None:
    audit = Audit(db, FakeClock())
    await five(audit)
    async with db.session() as session:
        await session.execute(delete(AuditRow).where(AuditRow.seq == 2))
    assert await audit.verify() == ["row 2: missing (deleted)"]


async def test_deleted_newest_rows_are_named(db: Database) -> None:
    audit = Audit(db, FakeClock())
    await five(audit)
    async with db.session() as session:
        await session.execute(delete(AuditRow).where(AuditRow.seq >= 4))
    assert await audit.verify() == ["row 4-5: missing at the end (deleted)"]


async def test_concurrent_writers_in_two_processes_keep_one_chain(settings: Settings) -> None:
    first = Database(settings.database_url, schema=settings.database_schema)
    second = Database(settings.database_url, schema=settings.database_schema)
    try:
        writers = [Audit(first, FakeClock()), Audit(second, FakeClock())]
        numbers = await asyncio.gather(
            *(
                writers[n % 2].record(
                    actor_id=None, action="notes.write", booking_id=None, item_id=None, address=None
                )
                for n in range(30)
            )
        )
        assert sorted(numbers) == list(range(1, 31))
        assert await writers[0].verify() == []
    finally:
        await first.close()
        await second.close()


async def test_rows_recorded_together_are_numbered_in_one_chain(db: Database) -> None:
    """Group commit: a hundred records at once from one process, one unbroken chain."""
    audit = Audit(db, FakeClock())
    numbers = await asyncio.gather(
        *(
            audit.record(
                actor_id=ACTOR, action="chat.read", booking_id=BOOKING, item_id=str(n), address=None
            )
            for n in range(100)
        )
    )
    assert sorted(numbers) == list(range(1, 101))
    by_seq = {e.seq: e.item_id for e in await audit.page(limit=100)}
    assert [by_seq[number] for number in numbers] == [str(n) for n in range(100)]
    assert await audit.verify() == []


async def test_a_failed_write_reaches_every_caller(tmp_path: Path) -> None:
    unmigrated = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        audit = Audit(unmigrated, FakeClock())
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    audit.record(
                        actor_id=None,
                        action="notes.read",
                        booking_id=None,
                        item_id=None,
                        address=None,
                    )
                    for _ in range(3)
                ),
                return_exceptions=True,
            ),
            timeout=10,
        )
    finally:
        await unmigrated.close()
    assert all(isinstance(r, OperationalError) for r in results)
