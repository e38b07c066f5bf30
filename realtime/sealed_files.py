"""Files sealed in fixed-size chunks, so a 20 MB file is never one AES-GCM blob in memory.

The plaintext is cut into 64 KiB chunks; each is sealed by the vault's `Box` (AES-256-GCM, a
random nonce each) as the item `<item>#<index>` or, for the last one, `<item>#<index>$`. Every
chunk but the last holds exactly 64 KiB, so the stored form is a run of fixed-size frames and a
shorter (or equal) last one. A flipped byte fails its chunk's tag; chunks swapped or moved from
another file fail their index or item; a file cut short after a whole frame fails because its
new last frame was not sealed as the last. Each raises `SealBroken` (logged by the vault with
the scope and item, never content).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator

from realtime.vault import NONCE_BYTES, Box, SealBroken

CHUNK = 64 * 1024
OVERHEAD = 1 + NONCE_BYTES + 16  # version byte, nonce, GCM tag
FRAME = CHUNK + OVERHEAD


def _item(item: str, index: int, final: bool) -> str:
    return f"{item}#{index}{'$' if final else ''}"


async def seal(box: Box, item: str, plaintext: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    """The sealed frames of `plaintext`, one per chunk (an empty file is one empty frame)."""
    buffer = bytearray()
    index = 0
    async for piece in plaintext:
        buffer += piece
        while len(buffer) > CHUNK:  # more follows: this chunk is not the last
            yield box.seal(_item(item, index, False), bytes(buffer[:CHUNK]))
            del buffer[:CHUNK]
            index += 1
    yield box.seal(_item(item, index, True), bytes(buffer))


async def open_(box: Box, item: str, sealed: AsyncIterable[bytes]) -> AsyncGenerator[bytes, None]:
    """The plaintext chunks of a sealed file, each checked; `SealBroken` at the first bad one."""
    buffer = bytearray()
    index = 0
    try:
        async for piece in sealed:
            buffer += piece
            while len(buffer) > FRAME:
                yield box.open(_item(item, index, False), bytes(buffer[:FRAME]))
                del buffer[:FRAME]
                index += 1
        yield box.open(_item(item, index, True), bytes(buffer))
    finally:
        close = getattr(sealed, "aclose", None)
        if close is not None:  # the source's own file or connection, when we stop early
            await close()


def sealed_size(size: int) -> int:
    """The stored size of a `size`-byte file."""
    frames = max(1, -(-size // CHUNK))
    return size + frames * OVERHEAD


__all__ = ["CHUNK", "FRAME", "SealBroken", "open_", "seal", "sealed_size"]
