"""Opaque keyset cursors for paginated lists.

A cursor is the base64url JSON of the last row's sort values (including its id, the tie-breaker)
and the name of the ordering it belongs to, followed by an HMAC-SHA256 tag (truncated to 16
bytes) under a server key: `<payload>.<tag>`. A cursor from another ordering, or one whose
payload was edited, fails the check and is refused, so the server never runs a query from
client-forged values. Cursors do not expire; they point at a position, not a snapshot.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

TAG_BYTES = 16
MAX_LENGTH = 1000

JsonValue = str | int | float | bool | None


class InvalidCursor(ValueError):
    """The cursor was not made by this server for this ordering."""


def encode(key: bytes, ordering: str, values: list[JsonValue]) -> str:
    payload = _b64(json.dumps({"o": ordering, "k": values}, separators=(",", ":")).encode())
    return f"{payload}.{_b64(_tag(key, payload))}"


def decode(key: bytes, ordering: str, cursor: str) -> list[JsonValue]:
    """The sort values of a cursor made by `encode` for `ordering`."""
    payload, dot, tag = cursor.partition(".")
    if len(cursor) > MAX_LENGTH or not dot:
        raise InvalidCursor("malformed")
    try:
        given = base64.urlsafe_b64decode(tag + "=" * (-len(tag) % 4))
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor("malformed") from None
    if not hmac.compare_digest(given, _tag(key, payload)):
        raise InvalidCursor("tampered")
    if not isinstance(data, dict) or data.get("o") != ordering:
        raise InvalidCursor("for another ordering")
    if not isinstance(data.get("k"), list):
        raise InvalidCursor("for another ordering")
    values: list[JsonValue] = data["k"]
    return values


def _tag(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()[:TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
