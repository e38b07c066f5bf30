"""`Idempotency-Key` on POSTs that create or move bookings and money: a retry gets the first
answer instead of doing the work twice.

The first request with a key records it (per user) before running; the answer it gives, success
or a 4xx refusal, is stored and replayed to every retry with the same key, marked
`Idempotent-Replayed: true`. A key reused for a different request (another route or body) is a
422 `idempotency_key_reused`. Records are kept for RETENTION.

A stored answer is sealed (Fernet, key purpose "idempotency-answers" from SECRET_KEY): the
answers hold payment client secrets, tokens and personal data, and a copy of the database or a
backup must not hand them out for 24 hours. An answer that cannot be opened (sealed under a
SECRET_KEY since rotated) cannot be replayed: the key is refused as reused.

Two ways to run, chosen by the route (`idempotent=` in `realtime.http`):

- `once` (`idempotent=True`), for routes whose work is more than one transaction or reaches
  outside the database (Stripe): the key is claimed before the work, the answer stored after
  it. A retry while the first is still running is a 409 `idempotency_in_progress`. A 5xx or a
  crash leaves nothing: the record is removed (or, if the process died, taken over after
  IN_FLIGHT_TIMEOUT), so the retry runs afresh.
- `in_transaction` (`idempotent="in_transaction"`), for routes whose whole effect is one
  database transaction (the hold, the busiest write): the handler writes its answer in that
  transaction (`recorder(request).record(conn, response)`), so the record and the work commit
  or vanish together and no statement runs before or after. A retry runs the work again: it
  is either refused (the slot is its own hold now) or its record collides with the first one
  and rolls back; either way it is answered with the first answer. A concurrent retry waits
  for the first transaction and then replays it. A 4xx refusal is stored after it, so a retry
  replays it too.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from aiohttp import web
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Mapped, mapped_column

from realtime.clock import Clock
from realtime.db import Base, Database, UtcDateTime
from realtime.errors import AppError, BadRequest, Code, Conflict, FieldError, Unprocessable
from realtime.keys import fernet
from realtime.problems import from_app_error

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
SEAL_PURPOSE = "idempotency-answers"
# The app's sealer of stored answers (`realtime.app` sets it from SECRET_KEY).
SEAL = web.AppKey("idempotency_seal", Fernet)


def sealer(secret_key: str) -> Fernet:
    return fernet(secret_key, SEAL_PURPOSE)


def _sealed(seal: Fernet, response: web.Response) -> bytes:
    return seal.encrypt(response.body if isinstance(response.body, bytes) else b"")


IN_FLIGHT_TIMEOUT = timedelta(seconds=60)
RETENTION = timedelta(hours=24)


class IdempotencyRecord(Base):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to retries."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("ix_idempotency_records_created", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Method and route template plus a SHA-256 of the body: a key reused for another request
    # is refused, not replayed.
    fingerprint: Mapped[str] = mapped_column(String(600))
    # None while the first request is still running.
    status: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    content_type: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def key_of(request: web.Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise BadRequest(Code.BAD_REQUEST, f"{HEADER} must be 1 to 255 printable characters.")
    return key


async def fingerprint(request: web.Request) -> str:
    body = await request.read()
    # Percent-encoded: a path may hold any character (a NUL, which PostgreSQL cannot store).
    path = quote(request.path, safe="/")[:400]
    return f"{request.method} {path} {hashlib.sha256(body).hexdigest()}"


async def once(
    request: web.Request,
    db: Database,
    clock: Clock,
    user_id: uuid.UUID,
    key: str,
    run: Callable[[], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Run the request at most once per (user, key), replaying its answer afterwards."""
    print_ = await fingerprint(request)
    now = clock.now()
    seal = request.app[SEAL]
    if not await _claim(db, user_id, key, print_, now):
        replay = await _existing(db, seal, user_id, key, print_, now)
        if replay is not None:
            return replay
    try:
        response = await run()
    except AppError as exc:
        response = from_app_error(exc, request)
    except BaseException:
        await _forget(db, user_id, key)
        raise
    if response.status >= 500 or not isinstance(response, web.Response):
        await _forget(db, user_id, key)
        return response
    async with db.autocommit() as conn:
        await conn.execute(
            _ANSWER,
            {
                "p_user": user_id,
                "p_key": key,
                "p_status": response.status,
                "p_body": _sealed(seal, response),
                "p_type": response.content_type,
            },
        )
    return response


async def _claim(db: Database, user_id: uuid.UUID, key: str, print_: str, now: datetime) -> bool:
    """Record the key as in flight; False if a record was there already. One statement."""
    async with db.autocommit() as conn:
        claimed = await conn.scalar(
            _CLAIM[conn.dialect.name == "postgresql"],
            {"user_id": user_id, "key": key, "fingerprint": print_, "created_at": now},
        )
    return claimed is not None


# The statements of every idempotent request, built once.
_CLAIM = {
    postgres: (postgresql.insert if postgres else sqlite.insert)(IdempotencyRecord)
    .on_conflict_do_nothing()
    .returning(IdempotencyRecord.key)
    for postgres in (True, False)
}
_ANSWER = (
    update(IdempotencyRecord)
    .where(
        IdempotencyRecord.user_id == bindparam("p_user"),
        IdempotencyRecord.key == bindparam("p_key"),
    )
    .values(
        status=bindparam("p_status"), body=bindparam("p_body"), content_type=bindparam("p_type")
    )
)


async def _existing(
    db: Database, seal: Fernet, user_id: uuid.UUID, key: str, print_: str, now: datetime
) -> web.Response | None:
    """The key was used before: replay its answer, refuse, or (if its first request died)
    take it over and return None so the request runs."""
    try:
        async with db.session() as session:
            found = await session.get(IdempotencyRecord, (user_id, key), with_for_update=True)
            if found is None:  # forgotten since the claim failed: the first attempt failed
                session.add(
                    IdempotencyRecord(user_id=user_id, key=key, fingerprint=print_, created_at=now)
                )
                return None
            if found.fingerprint != print_:
                raise _reused()
            if found.status is not None:
                return _replay(seal, found.status, found.body, found.content_type)
            if now - found.created_at < IN_FLIGHT_TIMEOUT:
                raise _in_progress()
            found.created_at = now  # the first attempt died: take it over
            return None
    except IntegrityError:  # a concurrent retry recorded it first
        raise _in_progress() from None


class Recorder:
    """Writes the answer of an `in_transaction` request inside the transaction of its work."""

    def __init__(
        self, seal: Fernet, user_id: uuid.UUID, key: str, fingerprint: str, now: datetime
    ) -> None:
        self.seal = seal
        self.user_id = user_id
        self.key = key
        self.fingerprint = fingerprint
        self.now = now
        self.recorded = False

    async def record(self, conn: AsyncConnection, response: web.Response) -> None:
        """Store `response` as the answer for this key, in `conn`'s transaction. If the key
        has an answer already (a retry, or a concurrent first request that committed while
        this one waited for its row), this raises `AlreadyAnswered`, which rolls the
        transaction back: the caller gets the recorded answer instead."""
        if not await _insert_answer(
            conn, self.seal, self.user_id, self.key, self.fingerprint, self.now, response
        ):
            raise AlreadyAnswered
        self.recorded = True


class AlreadyAnswered(Exception):
    """The key was answered by an earlier request: roll back and replay that answer."""


_RECORDER = web.RequestKey("idempotency_recorder", Recorder)


def recorder(request: web.Request) -> Recorder | None:
    """The recorder of an `in_transaction` route's request, None if it came without a key."""
    return request.get(_RECORDER)


async def in_transaction(
    request: web.Request,
    db: Database,
    clock: Clock,
    user_id: uuid.UUID,
    key: str,
    run: Callable[[], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Run a request whose handler records its own answer in its transaction (see above)."""
    print_ = await fingerprint(request)
    now = clock.now()
    seal = request.app[SEAL]
    request[_RECORDER] = recording = Recorder(seal, user_id, key, print_, now)
    try:
        response = await run()
    except AlreadyAnswered:
        return await _recorded(db, seal, user_id, key, print_)
    except AppError as exc:
        # A refusal may be a retry refused by the first request's own work: replay that.
        answered = await _lookup(db, seal, user_id, key, print_)
        if answered is not None:
            return answered
        response = from_app_error(exc, request)
    if recording.recorded or response.status >= 500 or not isinstance(response, web.Response):
        return response
    async with db.autocommit() as conn:
        if await _insert_answer(conn, seal, user_id, key, print_, now, response):
            return response
    return await _recorded(db, seal, user_id, key, print_)


async def _insert_answer(
    conn: AsyncConnection,
    seal: Fernet,
    user_id: uuid.UUID,
    key: str,
    print_: str,
    now: datetime,
    response: web.Response,
) -> bool:
    """Insert a complete record; False if the key has one already. One statement."""
    inserted = await conn.scalar(
        _CLAIM[conn.dialect.name == "postgresql"],
        {
            "user_id": user_id,
            "key": key,
            "fingerprint": print_,
            "created_at": now,
            "status": response.status,
            "body": _sealed(seal, response),
            "content_type": response.content_type,
        },
    )
    return inserted is not None


async def _recorded(
    db: Database, seal: Fernet, user_id: uuid.UUID, key: str, print_: str
) -> web.Response:
    """The answer a record that refused ours holds (it may have been removed since, by a
    claim-first request that failed: then the client retries)."""
    answered = await _lookup(db, seal, user_id, key, print_)
    if answered is None:
        raise _in_progress()
    return answered


async def _lookup(
    db: Database, seal: Fernet, user_id: uuid.UUID, key: str, print_: str
) -> web.Response | None:
    """The recorded answer for this key to replay, None if there is none; 422 if it was for
    another request, 409 if a claim-first request with it is still running. One statement."""
    async with db.autocommit() as conn:
        found = (await conn.execute(_RECORD, {"p_user": user_id, "p_key": key})).first()
    if found is None:
        return None
    if found.fingerprint != print_:
        raise _reused()
    if found.status is None:
        raise _in_progress()
    return _replay(seal, found.status, found.body, found.content_type)


_RECORD = select(
    IdempotencyRecord.fingerprint,
    IdempotencyRecord.status,
    IdempotencyRecord.body,
    IdempotencyRecord.content_type,
).where(
    IdempotencyRecord.user_id == bindparam("p_user"), IdempotencyRecord.key == bindparam("p_key")
)


def _reused() -> Unprocessable:
    return Unprocessable(
        Code.IDEMPOTENCY_KEY_REUSED,
        [FieldError(HEADER, "this key was used for a different request")],
    )


def _in_progress() -> Conflict:
    return Conflict(
        Code.IDEMPOTENCY_IN_PROGRESS,
        "A request with this Idempotency-Key is still running; retry shortly.",
        headers={"Retry-After": "1"},
    )


async def sweep(db: Database, clock: Clock) -> int:
    """Delete records older than RETENTION."""
    async with db.session() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < clock.now() - RETENTION)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


async def _forget(db: Database, user_id: uuid.UUID, key: str) -> None:
    async with db.autocommit() as conn:
        await conn.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
            )
        )


def _replay(
    seal: Fernet, status: int | None, body: bytes | None, content_type: str | None
) -> web.Response:
    try:
        opened = seal.decrypt(body or b"")
    except InvalidToken:
        log.warning("an idempotency record cannot be opened (SECRET_KEY rotated?)")
        raise _reused() from None
    return web.Response(
        status=status or 200,
        body=opened,
        content_type=content_type or "application/json",
        headers={"Idempotent-Replayed": "true"},
    )
