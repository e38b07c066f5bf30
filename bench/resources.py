"""Shared files: what sealing in chunks costs a 20 MB upload and download, and how much memory
the pipeline holds.

    .venv/bin/python -m bench.resources [--megabytes 20] [--rounds 5]

Runs the pipeline a shared file goes through (`booking.services.resources`), in this process,
on a local blob store in a temporary directory: the upload's bytes arrive in 64 KiB pieces, are
type-checked (`Inspected`: size, head and tail kept, `filetype` and the zip check), sealed in
64 KiB AES-256-GCM chunks (`realtime.sealed_files`) and written (`LocalBlobs`); the download
reads the file twice, once to check every chunk and once to stream it, as the API does. The
baseline, measured in the same run on the same bytes, writes and reads the plaintext through
the same store with no type check and no sealing. Prints the median MB/s of each and the
Python heap's peak (tracemalloc) during one sealed upload and download.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from booking.services.resources import Inspected
from realtime import sealed_files
from realtime.blobs import LocalBlobs
from realtime.vault import AesBox

PIECE = 64 * 1024
ITEM = "resource:bench"


async def arriving(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), PIECE):
        yield data[start : start + PIECE]
        await asyncio.sleep(0)


async def sealed_round(store: LocalBlobs, box: AesBox, data: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    inspected = Inspected(arriving(data))
    await store.put("resources/sealed", sealed_files.seal(box, ITEM, inspected.chunks()))
    inspected.file_type()
    uploaded = time.perf_counter()
    async for _ in sealed_files.open_(box, ITEM, store.get("resources/sealed")):
        pass
    size = 0
    async for chunk in sealed_files.open_(box, ITEM, store.get("resources/sealed")):
        size += len(chunk)
    assert size == len(data)
    return uploaded - started, time.perf_counter() - uploaded


async def plain_round(store: LocalBlobs, data: bytes) -> tuple[float, float]:
    started = time.perf_counter()
    await store.put("resources/plain", arriving(data))
    uploaded = time.perf_counter()
    size = 0
    async for piece in store.get("resources/plain"):
        size += len(piece)
    assert size == len(data)
    return uploaded - started, time.perf_counter() - uploaded


def rate(megabytes: float, seconds: list[float]) -> str:
    return f"{megabytes / statistics.median(seconds):8.0f} MB/s"


async def run(megabytes: int, rounds: int) -> None:
    data = b"%PDF-1.7\n" + os.urandom(megabytes * 1024 * 1024 - 16) + b"\n%%EOF\n"
    box = AesBox("booking:bench", AESGCM(AESGCM.generate_key(bit_length=256)))
    with tempfile.TemporaryDirectory() as folder:
        store = LocalBlobs(Path(folder))
        sealed = [await sealed_round(store, box, data) for _ in range(rounds)]
        plain = [await plain_round(store, data) for _ in range(rounds)]
        tracemalloc.start()
        await sealed_round(store, box, data)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"{megabytes} MB file, {rounds} rounds each, median")
    print(f"{'':28}{'upload':>13}{'download':>13}")
    print(
        f"{'plaintext (baseline)':28}{rate(megabytes, [u for u, _ in plain]):>13}"
        f"{rate(megabytes, [d for _, d in plain]):>13}"
    )
    print(
        f"{'type check + sealed chunks':28}{rate(megabytes, [u for u, _ in sealed]):>13}"
        f"{rate(megabytes, [d for _, d in sealed]):>13}  (download: checked, then streamed)"
    )
    print(f"Python heap peak during one sealed upload + download: {peak / 1024 / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.megabytes, args.rounds))


if __name__ == "__main__":
    main()
