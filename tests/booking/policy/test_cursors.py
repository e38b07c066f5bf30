"""Keyset cursors: opaque, bound to their ordering, refused when edited."""

from __future__ import annotations

import base64
import json

import pytest

from booking.policy.cursors import InvalidCursor, decode, encode

KEY = b"k" * 32


def test_a_cursor_round_trips_for_its_ordering_only() -> None:
    cursor = encode(KEY, "rating", [475, 12, "3f2c"])
    assert decode(KEY, "rating", cursor) == [475, 12, "3f2c"]
    with pytest.raises(InvalidCursor):
        decode(KEY, "price", cursor)
    with pytest.raises(InvalidCursor):
        decode(b"x" * 32, "rating", cursor)


def test_an_edited_payload_is_refused() -> None:
    cursor = encode(KEY, "rating", [475, 12, "3f2c"])
    _payload, _, tag = cursor.partition(".")
    forged = base64.urlsafe_b64encode(json.dumps({"o": "rating", "k": [500, 0, "0"]}).encode())
    with pytest.raises(InvalidCursor):
        decode(KEY, "rating", f"{forged.decode().rstrip('=')}.{tag}")
    for junk in ("", "abc", ".", "%%%.%%%", "a" * 2000):
        with pytest.raises(InvalidCursor):
            decode(KEY, "rating", junk)
