"""Envelope encryption: one mechanism for everything private.

Every scope has its own random 256-bit data key: `booking:<id>` for everything of a booking
(session details, cancel note, chat, notes, resources), `user:<id>` for a user's own secrets
(TOTP). Items are sealed with AES-256-GCM under their scope's key, a random 96-bit nonce each,
and associated data binding the scope and the item id, so a ciphertext copied to another row,
booking or user does not open. Stored item: version byte `0x01`, nonce, ciphertext and tag.

Data keys are stored only wrapped (AES-256-GCM, associated data: master key id and scope) by a
master key (key-encryption key) from `MASTER_KEYS`, named by its id; `MASTER_KEY_ID` wraps new
ones. `flourish rotate-master-key` re-wraps every data key under the current master key in
committed batches (resumable: it picks up whatever is still under another key) and touches no
item. At start, every master key id that wraps something must be configured and must open its
stored check value, or the server refuses to start naming `MASTER_KEYS`: a wrong key would
otherwise look like damaged data. Unwrapped keys are cached per process (bounded LRU).

A key is created on a scope's first seal, race-safe across processes (insert if absent, then
read). Loading a key uses its own connection: inside a transaction on SQLite (one writer at a
time), take the scope's `box()` before the transaction, which creates the key if need be;
opening inside a transaction only reads keys, which SQLite lets a second connection do.

A flipped byte, a moved ciphertext or a wrong key raises `SealBroken` (logged with the scope and
item ids, never content), never garbage. `PlaintextForBenchmarks` (setting
`SEALING=off-benchmarks-only`, refused in production) stores items in clear: it exists only so
the chat benchmark can compare encryption off and on.
"""

from __future__ import annotations

import logging
import os
import struct
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary, String, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from realtime.clock import Clock
from realtime.db import Base, Database, UtcDateTime
from realtime.errors import AppError, Code
from realtime.settings import Settings, SettingsError

log = logging.getLogger(__name__)

VERSION = 1
PLAINTEXT_VERSION = 0
NONCE_BYTES = 12
CACHED_KEYS = 10_000
CHECK_PLAINTEXT = b"flourish-vault-master-key-check"
SEALING_ON = "aes-256-gcm"
SEALING_OFF = "off-benchmarks-only"


class Sealer(Protocol):
    async def seal(self, scope: str, item: str, plaintext: bytes) -> bytes: ...

    async def open(self, scope: str, item: str, sealed: bytes) -> bytes: ...

    async def box(self, scope: str) -> Box: ...


class Box(Protocol):
    """One scope's key, loaded: seals and opens without touching the database."""

    def seal(self, item: str, plaintext: bytes) -> bytes: ...

    def open(self, item: str, sealed: bytes) -> bytes: ...


class SealBroken(AppError):
    """A stored ciphertext does not open: altered, moved to another row, or a wrong key."""

    status = 500
    title = "Stored data damaged"

    def __init__(self, scope: str, item: str) -> None:
        super().__init__(
            Code.SEALED_DATA_DAMAGED,
            "A stored private item failed its integrity check; it was not shown. "
            "Administrators have been told.",
        )
        self.scope = scope
        self.item = item


class DataKey(Base):
    """A scope's data key, wrapped by the master key `kek_id`."""

    __tablename__ = "data_keys"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MasterKeyCheck(Base):
    """A known value sealed by a master key: a wrong key is found at start, not on first read."""

    __tablename__ = "master_key_checks"

    kek_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    check_value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _aad(scope: str, item: str) -> bytes:
    encoded = scope.encode()
    return bytes([VERSION]) + struct.pack(">H", len(encoded)) + encoded + item.encode()


def _wrap_aad(kek_id: str, scope: str) -> bytes:
    return b"wrap\x00" + kek_id.encode() + b"\x00" + scope.encode()


@dataclass(frozen=True)
class AesBox:
    scope: str
    key: AESGCM

    def seal(self, item: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return bytes([VERSION]) + nonce + self.key.encrypt(nonce, plaintext, _aad(self.scope, item))

    def open(self, item: str, sealed: bytes) -> bytes:
        if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != VERSION:
            raise self._broken(item)
        nonce = sealed[1 : 1 + NONCE_BYTES]
        try:
            return self.key.decrypt(nonce, sealed[1 + NONCE_BYTES :], _aad(self.scope, item))
        except InvalidTag:
            raise self._broken(item) from None

    def _broken(self, item: str) -> SealBroken:
        log.error("vault: sealed item %s of %s does not open (altered or moved)", item, self.scope)
        return SealBroken(self.scope, item)


class MasterKeys:
    """The configured master keys by id, and the current one."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise SettingsError("MASTER_KEY_ID", "the id of one of the keys in MASTER_KEYS")
        self.ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    @classmethod
    def of(cls, settings: Settings) -> MasterKeys:
        if not settings.master_keys:
            raise SettingsError("MASTER_KEYS", "at least one master key (id:base64 of 32 bytes)")
        return cls(dict(settings.master_keys), settings.master_key_id)

    def wrap(self, scope: str, data_key: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        kek = self.ciphers[self.current]
        return self.current, nonce + kek.encrypt(nonce, data_key, _wrap_aad(self.current, scope))

    def unwrap(self, kek_id: str, scope: str, wrapped: bytes) -> bytes:
        kek = self.ciphers.get(kek_id)
        if kek is None:
            raise SettingsError("MASTER_KEYS", f"the master key with id {kek_id!r}")
        try:
            return kek.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(kek_id, scope)
            )
        except InvalidTag:
            log.error("vault: data key of %s does not unwrap under master key %s", scope, kek_id)
            raise SealBroken(scope, "data-key") from None

    def check_value(self, kek_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.ciphers[kek_id].encrypt(nonce, CHECK_PLAINTEXT, kek_id.encode())

    def checks(self, kek_id: str, value: bytes) -> bool:
        try:
            self.ciphers[kek_id].decrypt(value[:NONCE_BYTES], value[NONCE_BYTES:], kek_id.encode())
        except InvalidTag:
            return False
        return True


_INSERT_KEY = {
    postgres: (postgresql.insert if postgres else sqlite.insert)(DataKey).on_conflict_do_nothing()
    for postgres in (True, False)
}
_INSERT_CHECK = {
    postgres: (postgresql.insert if postgres else sqlite.insert)(
        MasterKeyCheck
    ).on_conflict_do_nothing()
    for postgres in (True, False)
}


class Vault:
    """The AES-256-GCM sealer: data keys in `data_keys`, wrapped by the master keys."""

    def __init__(
        self, db: Database, clock: Clock, keys: MasterKeys, *, cached_keys: int = CACHED_KEYS
    ) -> None:
        self.db = db
        self.clock = clock
        self.keys = keys
        self.cached_keys = cached_keys
        self.cache: OrderedDict[str, AesBox] = OrderedDict()

    async def start(self) -> None:
        """Refuse to run with a master key that does not match what is stored (naming the
        setting), and store the current key's check value if it is new."""
        async with self.db.autocommit() as conn:
            checks = await conn.execute(select(MasterKeyCheck.kek_id, MasterKeyCheck.check_value))
            stored: dict[str, bytes] = dict(checks.all())
            in_use = set((await conn.scalars(select(DataKey.kek_id).distinct())).all())
            for kek_id in sorted(in_use | set(stored)):
                if kek_id not in self.keys.ciphers:
                    if kek_id in in_use:
                        raise SettingsError(
                            "MASTER_KEYS",
                            f"the master key with id {kek_id!r}, which wraps stored data keys",
                        )
                    continue
                if kek_id in stored and not self.keys.checks(kek_id, stored[kek_id]):
                    raise SettingsError(
                        "MASTER_KEYS",
                        f"the master key {kek_id!r} that wrapped the stored data keys "
                        "(the one given does not open its check value)",
                    )
            current = self.keys.current
            if current not in stored:
                await conn.execute(
                    _INSERT_CHECK[conn.dialect.name == "postgresql"],
                    {
                        "kek_id": current,
                        "check_value": self.keys.check_value(current),
                        "created_at": self.clock.now(),
                    },
                )

    async def box(self, scope: str) -> AesBox:
        cached = self.cache.get(scope)
        if cached is not None:
            self.cache.move_to_end(scope)
            return cached
        found = await self._load(scope)
        if found is None:
            await self._create(scope)
            found = await self._load(scope)
            if found is None:
                raise RuntimeError(f"data key of {scope} vanished after its insert")
        box = AesBox(scope, AESGCM(self.keys.unwrap(found[0], scope, found[1])))
        self.cache[scope] = box
        while len(self.cache) > self.cached_keys:
            self.cache.popitem(last=False)
        return box

    async def seal(self, scope: str, item: str, plaintext: bytes) -> bytes:
        return (await self.box(scope)).seal(item, plaintext)

    async def open(self, scope: str, item: str, sealed: bytes) -> bytes:
        return (await self.box(scope)).open(item, sealed)

    async def _load(self, scope: str) -> tuple[str, bytes] | None:
        async with self.db.reading() as conn:
            row = (
                await conn.execute(
                    select(DataKey.kek_id, DataKey.wrapped).where(DataKey.scope == scope)
                )
            ).first()
        return None if row is None else (row[0], row[1])

    async def _create(self, scope: str) -> None:
        kek_id, wrapped = self.keys.wrap(scope, AESGCM.generate_key(bit_length=256))
        async with self.db.autocommit() as conn:
            await conn.execute(
                _INSERT_KEY[conn.dialect.name == "postgresql"],
                {
                    "scope": scope,
                    "kek_id": kek_id,
                    "wrapped": wrapped,
                    "created_at": self.clock.now(),
                },
            )

    async def rotate(self, *, batch: int = 500, batches: int | None = None) -> int:
        """Re-wrap data keys under the current master key, `batch` per committed transaction,
        until none is left (or after `batches`). Items are not touched. Returns how many."""
        moved = 0
        done = 0
        while batches is None or done < batches:
            async with self.db.transaction() as conn:
                rows = (
                    await conn.execute(
                        select(DataKey.scope, DataKey.kek_id, DataKey.wrapped)
                        .where(DataKey.kek_id != self.keys.current)
                        .order_by(DataKey.scope)
                        .limit(batch)
                    )
                ).all()
                if not rows:
                    break
                params = []
                for scope, kek_id, wrapped in rows:
                    new_kek, new_wrapped = self.keys.wrap(
                        scope, self.keys.unwrap(kek_id, scope, wrapped)
                    )
                    params.append(
                        {
                            "p_scope": scope,
                            "p_old": kek_id,
                            "kek_id": new_kek,
                            "wrapped": new_wrapped,
                        }
                    )
                await conn.execute(_REWRAP, params)
            moved += len(rows)
            done += 1
            log.info("vault: %d data keys re-wrapped under master key %s", moved, self.keys.current)
        return moved


_REWRAP = (
    update(DataKey)
    .where(DataKey.scope == bindparam("p_scope"), DataKey.kek_id == bindparam("p_old"))
    .values(kek_id=bindparam("kek_id"), wrapped=bindparam("wrapped"))
)


@dataclass(frozen=True)
class PlaintextBox:
    scope: str

    def seal(self, item: str, plaintext: bytes) -> bytes:
        return bytes([PLAINTEXT_VERSION]) + plaintext

    def open(self, item: str, sealed: bytes) -> bytes:
        if not sealed or sealed[0] != PLAINTEXT_VERSION:
            log.error("vault: item %s of %s is not a benchmark plaintext", item, self.scope)
            raise SealBroken(self.scope, item)
        return sealed[1:]


class PlaintextForBenchmarks:
    """NOT ENCRYPTION. Stores items in clear so the chat benchmark can measure what sealing
    costs. Settings refuse it in production (`SEALING=off-benchmarks-only`)."""

    async def start(self) -> None:
        log.warning("vault: SEALING=%s: private data is stored IN CLEAR", SEALING_OFF)

    async def box(self, scope: str) -> PlaintextBox:
        return PlaintextBox(scope)

    async def seal(self, scope: str, item: str, plaintext: bytes) -> bytes:
        return PlaintextBox(scope).seal(item, plaintext)

    async def open(self, scope: str, item: str, sealed: bytes) -> bytes:
        return PlaintextBox(scope).open(item, sealed)


async def started(settings: Settings, db: Database, clock: Clock) -> Vault | PlaintextForBenchmarks:
    """The sealer `SEALING` names, checked against the stored master key check values."""
    sealer: Vault | PlaintextForBenchmarks
    if settings.sealing == SEALING_OFF:
        if settings.production:
            raise SettingsError("SEALING", f"{SEALING_ON} in production")
        sealer = PlaintextForBenchmarks()
    else:
        sealer = Vault(db, clock, MasterKeys.of(settings))
    await sealer.start()
    return sealer


def booking_scope(booking_id: object) -> str:
    return f"booking:{booking_id}"


def user_scope(user_id: object) -> str:
    return f"user:{user_id}"
