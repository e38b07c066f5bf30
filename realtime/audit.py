"""The audit log: every read and write of private data, append-only and hash-chained.

A row says who (`actor_id`), what (`action`, `booking_id`, `item_id`: ids, never content), when
(the injected clock) and from which address. Rows are numbered 1, 2, 3... (`seq`, no gaps) and
each stores the hash of the row before it and its own hash, SHA-256 over the previous hash and
its own fields, so editing a row breaks its hash and deleting one breaks the numbering and the
next row's link. `audit_head` holds the last number and hash: writers take it `FOR UPDATE` on
PostgreSQL (SQLite's `BEGIN IMMEDIATE` serialises them anyway), so concurrent writers across
processes never fork the chain, and deleting the newest rows is caught against it too.

This module has no update or delete path. `verify()` (`flourish audit verify`) walks the chain
and names each broken row. What it cannot catch: someone with write access to the database who
rewrites the tail and the head together; ship the head's hash elsewhere to anchor it.

Record after the transaction that read or wrote the data (a second writer inside a SQLite
transaction would wait for itself).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
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

    async def record(
        self,
        *,
        actor_id: uuid.UUID | None,
        action: str,
        booking_id: uuid.UUID | None,
        item_id: str | None,
        address: str | None,
    ) -> int:
        """Append one row in its own transaction; returns its number."""
        async with self.db.transaction() as conn:
            prev_seq, prev_hash = await _head(conn)
            entry = Entry(
                seq=prev_seq + 1,
                at=self.clock.now(),
                actor_id=actor_id,
                action=action,
                booking_id=booking_id,
                item_id=item_id,
                address=address[:64] if address else None,
            )
            digest = chain_hash(prev_hash, entry)
            await conn.execute(
                insert(AuditRow).values(**entry.__dict__, prev_hash=prev_hash, hash=digest)
            )
            await conn.execute(
                update(AuditHead).where(AuditHead.id == 1).values(seq=entry.seq, hash=digest)
            )
        return entry.seq

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
