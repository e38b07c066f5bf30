"""Where sealed files live: a small interface, a local directory and an S3-compatible store.

Only ciphertext reaches a store (`realtime/sealed_files.py` seals before `put`), under keys that
are ids, never file names. `put` takes the bytes as an async stream and writes nothing under
the key unless the stream ends cleanly: the local store writes a temporary file and renames it,
the S3 store aborts its multipart upload. Memory stays bounded: the local store writes each
piece as it comes, the S3 store holds one part (8 MiB, S3's minimum is 5) at a time.

The local directory is the embedded default (one process, files 0600 in a 0700 directory);
several server processes share an S3-compatible bucket (AWS S3, MinIO, Ceph; the tests run
moto's standalone server) through aiobotocore, the maintained asyncio client for botocore.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

log = logging.getLogger(__name__)

READ_PIECE = 256 * 1024
S3_PART = 8 * 1024 * 1024
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,200}")


class BlobMissing(Exception):
    """No blob under the key."""


class Blobs(Protocol):
    async def put(self, key: str, data: AsyncIterable[bytes]) -> int:
        """Store the stream under `key` (all of it or nothing); returns the bytes stored."""
        ...

    def get(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes in pieces; `BlobMissing` if there is none."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the blob; no error if there is none."""
        ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"not a blob key: {key!r}")
    return key


class LocalBlobs:
    """A directory of files, one per key, 0600."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    async def put(self, key: str, data: AsyncIterable[bytes]) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        fd = await asyncio.to_thread(
            os.open, temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
        )
        written = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for piece in data:
                    await asyncio.to_thread(out.write, piece)
                    written += len(piece)
            await asyncio.to_thread(os.replace, temporary, path)
        except BaseException:
            await asyncio.to_thread(temporary.unlink, missing_ok=True)
            raise
        return written

    async def get(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            source = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None
        try:
            while piece := await asyncio.to_thread(source.read, READ_PIECE):
                yield piece
        finally:
            source.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


class S3Blobs:
    """Objects in one bucket of an S3-compatible store, under `prefix`."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    async def put(self, key: str, data: AsyncIterable[bytes]) -> int:
        name = self._key(key)
        part = bytearray()
        parts: list[dict[str, Any]] = []
        upload_id: str | None = None
        written = 0
        try:
            async for piece in data:
                part += piece
                written += len(piece)
                if len(part) >= S3_PART:
                    if upload_id is None:
                        started = await self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=name
                        )
                        upload_id = started["UploadId"]
                    parts.append(await self._part(name, upload_id, len(parts) + 1, bytes(part)))
                    part.clear()
            if upload_id is None:
                await self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(part))
                return written
            if part:
                parts.append(await self._part(name, upload_id, len(parts) + 1, bytes(part)))
            await self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            )
        except BaseException:
            if upload_id is not None:
                await asyncio.shield(
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
                )
            raise
        return written

    async def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        sent = await self.client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"ETag": sent["ETag"], "PartNumber": number}

    async def get(self, key: str) -> AsyncIterator[bytes]:
        try:
            found = await self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobMissing(key) from None
            raise
        async with found["Body"] as body:
            while piece := await body.read(READ_PIECE):
                yield piece

    async def delete(self, key: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


async def s3_client(
    stack: AsyncExitStack,
    *,
    endpoint: str,
    region: str,
    access_key: str,
    secret_key: str,
) -> S3Client:
    """An S3 client open for the stack's lifetime (path-style addressing, which every
    S3-compatible server understands)."""
    client: S3Client = await stack.enter_async_context(
        get_session().create_client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region,
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            config=AioConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
    )
    return client
