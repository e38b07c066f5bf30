"""The blob stores: a local directory and an S3-compatible bucket (moto's standalone server, a
separate process), each storing a stream whole or not at all."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from realtime.blobs import S3_PART, BlobMissing, Blobs, LocalBlobs, S3Blobs
from tests.support.s3 import S3Server, bucket_client, objects, s3_server


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


async def pieces(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def broken(data: bytes) -> AsyncIterator[bytes]:
    async for piece in pieces(data):
        yield piece
    raise RuntimeError("the upload broke off")


async def read(store: Blobs, key: str) -> bytes:
    return b"".join([piece async for piece in store.get(key)])


async def check_store(store: Blobs, size: int) -> None:
    data = os.urandom(size)
    assert await store.put("resources/a", pieces(data)) == size
    assert await read(store, "resources/a") == data
    with pytest.raises(RuntimeError):
        await store.put("resources/b", broken(data))
    with pytest.raises(BlobMissing):
        await read(store, "resources/b")
    await store.delete("resources/a")
    with pytest.raises(BlobMissing):
        await read(store, "resources/a")


async def test_a_local_store_keeps_whole_files_only_and_private(tmp_path: Path) -> None:
    store = LocalBlobs(tmp_path / "blobs")
    await check_store(store, 300_000)
    await store.put("resources/c", pieces(b"sealed"))
    (path,) = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with pytest.raises(ValueError, match="not a blob key"):
        await store.put("../escape", pieces(b"x"))


@pytest.mark.timeout(120)
async def test_an_s3_store_keeps_whole_files_only_in_one_part_or_many(s3: S3Server) -> None:
    async with bucket_client(s3) as (client, bucket):
        store = S3Blobs(client, bucket)
        await check_store(store, 300_000)
        await check_store(store, S3_PART + 1_000_000)  # a multipart upload of two parts
        assert await objects(client, bucket) == {}
        uploads = await client.list_multipart_uploads(Bucket=bucket)
        assert uploads.get("Uploads", []) == []  # the broken one was aborted
