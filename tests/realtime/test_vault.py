"""The vault on both databases: per-scope data keys, bound ciphertexts, a flipped byte caught,
a wrong master key refused at start, rotation that resumes, race-safe key creation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from realtime.db import Database
from realtime.settings import Settings, SettingsError
from realtime.vault import (
    DataKey,
    MasterKeys,
    PlaintextForBenchmarks,
    SealBroken,
    Vault,
    started,
)
from tests.support.clock import FakeClock

OLD = ("k1", bytes(range(32)))
NEW = ("k2", bytes(range(100, 132)))
SECRET_TEXT = b"I have not told my partner about the debt."


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, schema=settings.database_schema)
    yield database
    await database.close()


async def vault(db: Database, *keys: tuple[str, bytes], current: str | None = None) -> Vault:
    """A started vault with a cache of its own (a second process, as far as keys go)."""
    chosen = Vault(db, FakeClock(), MasterKeys(dict(keys), current or keys[-1][0]))
    await chosen.start()
    return chosen


async def test_an_item_opens_only_in_its_own_scope_and_item(db: Database) -> None:
    sealer = await vault(db, OLD)
    sealed = await sealer.seal("booking:1", "note:a", SECRET_TEXT)
    assert SECRET_TEXT not in sealed
    assert sealed[0] == 1  # the format's version byte
    assert await sealer.open("booking:1", "note:a", sealed) == SECRET_TEXT
    for scope, item in (("booking:2", "note:a"), ("booking:1", "note:b")):
        with pytest.raises(SealBroken):
            await sealer.open(scope, item, sealed)
    # Each scope has its own key: the same plaintext sealed twice differs (random nonces too).
    assert await sealer.seal("booking:1", "note:a", SECRET_TEXT) != sealed


async def test_a_flipped_byte_anywhere_is_detected_and_logged_without_content(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    sealer = await vault(db, OLD)
    sealed = await sealer.seal("booking:7", "details", SECRET_TEXT)
    for position in range(len(sealed)):
        damaged = bytearray(sealed)
        damaged[position] ^= 0x01
        with pytest.raises(SealBroken) as caught:
            await sealer.open("booking:7", "details", bytes(damaged))
        assert (caught.value.scope, caught.value.item) == ("booking:7", "details")
    assert "details of booking:7 does not open" in caplog.text
    assert "debt" not in caplog.text


async def test_data_keys_are_stored_only_wrapped(db: Database) -> None:
    sealer = await vault(db, OLD)
    await sealer.seal("booking:9", "details", SECRET_TEXT)
    raw_key = (await sealer.box("booking:9")).key  # the AESGCM object; its key is not exposed
    async with db.session() as session:
        stored = await session.get(DataKey, "booking:9")
    assert stored is not None
    assert stored.kek_id == "k1"
    assert len(stored.wrapped) == 12 + 32 + 16  # nonce, wrapped key, tag
    assert raw_key is not None


async def test_a_wrong_master_key_refuses_to_start_naming_the_setting(db: Database) -> None:
    await (await vault(db, OLD)).seal("booking:1", "details", SECRET_TEXT)
    with pytest.raises(SettingsError) as wrong:
        await vault(db, ("k1", bytes(32)))
    assert wrong.value.variable == "MASTER_KEYS"
    assert "k1" in str(wrong.value)
    with pytest.raises(SettingsError) as missing:
        await vault(db, NEW)  # k1 still wraps a data key but is no longer configured
    assert missing.value.variable == "MASTER_KEYS"
    assert "'k1'" in str(missing.value)


async def test_rotation_rewraps_every_key_resumably_and_items_stay_readable(
    db: Database,
) -> None:
    before = await vault(db, OLD)
    sealed = {
        f"booking:{n}": await before.seal(f"booking:{n}", "details", b"item %d" % n)
        for n in range(5)
    }
    rotating = await vault(db, OLD, NEW)
    # Interrupted after one batch of two: the rest is still under k1, and all of it opens.
    assert await rotating.rotate(batch=2, batches=1) == 2
    async with db.session() as session:
        under = dict((await session.execute(select(DataKey.scope, DataKey.kek_id))).all())
    assert sorted(under.values()) == ["k1", "k1", "k1", "k2", "k2"]
    mixed = await vault(db, OLD, NEW)
    for scope, item in sealed.items():
        assert await mixed.open(scope, "details", item) == b"item %s" % scope.split(":")[1].encode()
    # Resumed: only what is left moves, and the items themselves were never rewritten.
    assert await (await vault(db, OLD, NEW)).rotate(batch=2) == 3
    assert await (await vault(db, OLD, NEW)).rotate() == 0
    after = await vault(db, NEW)  # the old key can now leave MASTER_KEYS
    for scope, item in sealed.items():
        assert (await after.open(scope, "details", item)).startswith(b"item ")


async def test_two_processes_making_one_scope_key_at_once_agree(db: Database) -> None:
    first, second = await vault(db, OLD), await vault(db, OLD)
    sealed = await asyncio.gather(
        *(sealer.seal("booking:race", "m", b"hello") for sealer in (first, second) * 3)
    )
    async with db.session() as session:
        keys = (await session.scalars(select(DataKey).where(DataKey.scope == "booking:race"))).all()
    assert len(keys) == 1
    for item in sealed:
        assert await first.open("booking:race", "m", item) == b"hello"
        assert await second.open("booking:race", "m", item) == b"hello"


async def test_a_tampered_data_key_is_detected(db: Database) -> None:
    sealer = await vault(db, OLD)
    item = await sealer.seal("booking:3", "details", SECRET_TEXT)
    async with db.session() as session:
        stored = await session.get(DataKey, "booking:3")
        assert stored is not None
        damaged = bytearray(stored.wrapped)
        damaged[20] ^= 0x80
        await session.execute(
            update(DataKey).where(DataKey.scope == "booking:3").values(wrapped=bytes(damaged))
        )
    with pytest.raises(SealBroken):
        await (await vault(db, OLD)).open("booking:3", "details", item)


async def test_the_key_cache_is_bounded(db: Database) -> None:
    sealer = Vault(db, FakeClock(), MasterKeys(dict([OLD]), "k1"), cached_keys=3)
    await sealer.start()
    for n in range(10):
        await sealer.seal(f"user:{n}", "totp", b"x")
    assert list(sealer.cache) == ["user:7", "user:8", "user:9"]


async def test_sealing_off_is_for_benchmarks_only(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    off = await started(replace(settings, sealing="off-benchmarks-only"), db, FakeClock())
    assert isinstance(off, PlaintextForBenchmarks)
    assert "IN CLEAR" in caplog.text
    assert await off.open("booking:1", "m", await off.seal("booking:1", "m", b"hi")) == b"hi"
    with pytest.raises(SealBroken):
        await off.open("booking:1", "m", await (await vault(db, OLD)).seal("booking:1", "m", b"x"))


async def test_a_key_loads_beside_an_open_write_transaction(db: Database) -> None:
    """Opening inside a transaction (TOTP at login) with the key not cached: on SQLite the key
    is read through a deferred transaction, which does not wait for this process's writer."""
    sealed = await (await vault(db, OLD)).seal("user:1", "totp", b"JBSWY3DP")
    fresh = await vault(db, OLD)
    async with db.session() as session:
        await session.execute(update(DataKey).where(DataKey.scope == "none").values(kek_id="k1"))
        opened = await asyncio.wait_for(fresh.open("user:1", "totp", sealed), timeout=5)
    assert opened == b"JBSWY3DP"
