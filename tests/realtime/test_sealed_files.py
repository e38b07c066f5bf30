"""Files sealed in chunks: every chunk bound to its file, its place and whether it is the last,
so damage, reordering, truncation and a chunk from another file are all caught."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from realtime import sealed_files
from realtime.sealed_files import CHUNK, FRAME
from realtime.vault import Box, SealBroken
from realtime.wiring import Services

ITEM = "resource:0b7e4a52-1c9d-4f3e-8a6b-5d2c1e0f9a8b"


async def stream(data: bytes, size: int = 10_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def sealed(box: Box, data: bytes, item: str = ITEM) -> bytes:
    return b"".join([f async for f in sealed_files.seal(box, item, stream(data))])


async def opened(box: Box, stored: bytes, item: str = ITEM) -> bytes:
    return b"".join([c async for c in sealed_files.open_(box, item, stream(stored, 7_777))])


@pytest.fixture
async def box(services: Services) -> Box:
    return await services.sealer.box("booking:test")


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
async def test_any_size_round_trips_and_has_the_stored_size(box: Box, size: int) -> None:
    data = os.urandom(size)
    stored = await sealed(box, data)
    assert len(stored) == sealed_files.sealed_size(size)
    assert await opened(box, stored) == data


async def test_damage_reordering_truncation_and_moving_are_refused(box: Box) -> None:
    data = os.urandom(3 * CHUNK)
    stored = await sealed(box, data)
    flipped = bytearray(stored)
    flipped[FRAME + 100] ^= 0x80
    swapped = stored[FRAME : 2 * FRAME] + stored[:FRAME] + stored[2 * FRAME :]
    truncated = stored[: 2 * FRAME]  # whole frames, the real last one gone
    for bad in (bytes(flipped), swapped, truncated, stored + stored[:FRAME], b""):
        with pytest.raises(SealBroken):
            await opened(box, bad)
    with pytest.raises(SealBroken):
        await opened(box, stored, item="resource:another")
