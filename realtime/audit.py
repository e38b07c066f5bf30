"""The audit log: every read and write of private data, append-only and hash-chained.

A row says who (`actor_id`), what (`action`, `booking_id`, `item_id`: ids, never content), when
(the injected clock) and from which address. Rows are numbered 1, 2, 3... (`seq`, no gaps) and
each stores the hash of the row before it and its own hash, SHA-256 over the previous hash and
its own fields, so editing a row breaks its hash and deleting one breaks the numbering and the
next row's link. `audit_head` holds the last number and hash: writers take it `FOR UPDATE` on
PostgreSQL (SQLite's `BEGIN IMMEDIATE` serialises them anyway), so concurrent writers across
processes never fork the chain, and deleting the newest rows is caught against it too. Within a
process, rows recorded while a write is in flight go into the next transaction together (group
commit): one lock and two statements per batch, where a row each managed ~200 rows/s on
PostgreSQL here. `record()` returns once its row is committed.

This module has no update or delete path. `verify()` (`flourish audit verify`) walks the chain
and names each broken row. What it cannot catch: someone with write access to the database who
rewrites the tail and the head together; ship the head's hash elsewhere to anchor it.

Record after the transaction that read or wrote the data (a second writer inside a SQLite
transaction would wait for itself).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import orjson
from sqlalchemy import BigInteger, Integer, String, Uuid, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from realtime.clock import Clock, utc
from realtime.db import Base, Database, UtcDateTime

log = logging.getLogger(__name__)

GENESIS = "0" * 64
PAGE = 1000
BATCH = 500  # rows appended per transaction at most


class AuditRow(Base):
    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    action: Mapped[str] = mapped_column(String(64))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    item_id: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last row, one row (`id` 1): the lock writers queue on."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    booking_id: uuid.UUID | None
    item_id: str | None
    address: str | None


def chain_hash(prev_hash: str, entry: Entry) -> str:
    fields = [
        entry.seq,
        utc(entry.at).isoformat(),
        str(entry.actor_id) if entry.actor_id else None,
        entry.action,
        str(entry.booking_id) if entry.booking_id else None,
        entry.item_id,
        entry.address,
    ]
    return hashlib.sha256(prev_hash.encode() + b"\n" + orjson.dumps(fields)).hexdigest()


_HEAD_INSERT = {
    postgres: (postgresql.insert if postgres else sqlite.insert)(AuditHead)
    .values(id=1, seq=0, hash=GENESIS)
    .on_conflict_do_nothing()
    for postgres in (True, False)
}
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1).with_for_update()


class Audit:
    """Appends to the audit log and reads it; nothing here changes or removes a row."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.pending: list[tuple[Entry, asyncio.Future[int]]] = []
        self.writer: asyncio.Task[None] | None = None

    async def record(
        self,
        *,
        actor_id: uuid.UUID | None,
        action: str,
        booking_id: uuid.UUID | None,
        item_id: str | None,
        address: str | None,
    ) -> int:
        """Append one row; returns its number once it is committed."""
        entry = Entry(
            seq=0,  # numbered when written
            at=self.clock.now(),
            actor_id=actor_id,
            action=action,
            booking_id=booking_id,
            item_id=item_id,
            address=address[:64] if address else None,
        )
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.pending.append((entry, done))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write_pending())
        return await done

    async def _write_pending(self) -> None:
        """Group commit: whatever was recorded while the last transaction ran is written in the
        next one, so the head's lock is taken once per batch, not once per row."""
        while self.pending:
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            try:
                numbers = await self._append([entry for entry, _ in batch])
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for (_, done), number in zip(batch, numbers, strict=True):
                if not done.done():  # a caller that gave up still has its row written
                    done.set_result(number)

    async def _append(self, entries: list[Entry]) -> list[int]:
        async with self.db.transaction() as conn:
            seq, prev_hash = await _head(conn)
            rows = []
            for entry in entries:
                seq += 1
                numbered = replace(entry, seq=seq)
                digest = chain_hash(prev_hash, numbered)
                rows.append({**numbered.__dict__, "prev_hash": prev_hash, "hash": digest})
                prev_hash = digest
            await conn.execute(insert(AuditRow), rows)
            await conn.execute(
                update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev_hash)
            )
        return [row["seq"] for row in rows]

    async def page(
        self,
        *,
        booking_id: uuid.UUID | None = None,
        actor_id: uuid.UUID | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Entry]:
        """Newest first, `limit` rows numbered below `before`."""
        query = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
        if booking_id is not None:
            query = query.where(AuditRow.booking_id == booking_id)
        if actor_id is not None:
            query = query.where(AuditRow.actor_id == actor_id)
        if before is not None:
            query = query.where(AuditRow.seq < before)
        async with self.db.session() as session:
            rows = (await session.scalars(query)).all()
        return [_entry(row) for row in rows]

    async def verify(self) -> list[str]:
        """Every break in the chain, one line each naming the row; empty if intact."""
        problems: list[str] = []
        expected, prev_hash = 1, GENESIS
        async with self.db.session() as session:
            while True:
                rows = (
                    await session.scalars(
                        select(AuditRow)
                        .where(AuditRow.seq >= expected)
                        .order_by(AuditRow.seq)
                        .limit(PAGE)
                    )
                ).all()
                for row in rows:
                    if row.seq != expected:
                        gap = (
                            str(expected)
                            if row.seq == expected + 1
                            else f"{expected}-{row.seq - 1}"
                        )
                        problems.append(f"row {gap}: missing (deleted)")
                    elif row.prev_hash != prev_hash:
                        problems.append(f"row {row.seq}: does not link to the row before it")
                    if chain_hash(row.prev_hash, _entry(row)) != row.hash:
                        problems.append(f"row {row.seq}: edited (its hash does not match)")
                    expected, prev_hash = row.seq + 1, row.hash
                if len(rows) < PAGE:
                    break
            head = (
                await session.execute(
                    select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
                )
            ).first()
        head_seq, head_hash = (0, GENESIS) if head is None else (head[0], head[1])
        if head_seq >= expected:
            problems.append(f"row {expected}-{head_seq}: missing at the end (deleted)")
        elif head_seq == expected - 1 and head_hash != prev_hash:
            problems.append(f"row {head_seq}: edited (the chain's head does not match it)")
        log.info("audit verify: %d rows, %d problems", expected - 1, len(problems))
        return problems


async def _head(conn: AsyncConnection) -> tuple[int, str]:
    """The chain's last number and hash, locked until this transaction ends."""
    row = (await conn.execute(_HEAD)).first()
    if row is None:  # a new (or emptied) database: start the chain
        await conn.execute(_HEAD_INSERT[conn.dialect.name == "postgresql"])
        row = (await conn.execute(_HEAD)).first()
        if row is None:
            raise RuntimeError("audit_head vanished after its insert")
    return row[0], row[1]


def _entry(row: AuditRow) -> Entry:
    return Entry(
        seq=row.seq,
        at=utc(row.at),
        actor_id=row.actor_id,
        action=row.action,
        booking_id=row.booking_id,
        item_id=row.item_id,
        address=row.address,
    )
