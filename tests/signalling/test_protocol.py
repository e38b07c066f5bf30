"""docs/protocol.md is generated from signalling/protocol.py and agrees with it."""

from __future__ import annotations

import typing
from pathlib import Path

from signalling.protocol import NAMESPACES, markdown

ROOT = Path(__file__).resolve().parents[2]


def test_the_protocol_document_is_fresh() -> None:
    written = (ROOT / "docs" / "protocol.md").read_text()
    assert written == markdown(), (
        "docs/protocol.md is stale: .venv/bin/python -m signalling.protocol > docs/protocol.md"
    )


def test_every_example_is_a_valid_payload() -> None:
    for namespace in NAMESPACES:
        for event in namespace.client_events:
            event.payload.model_validate(event.example)
        for server_event in namespace.server_events:
            fields = typing.get_type_hints(server_event.payload)
            # Every server payload is a TypedDict, which the declaration's `type` does not say.
            required: frozenset[str] = server_event.payload.__required_keys__  # type: ignore[attr-defined]
            assert required <= set(server_event.example) <= set(fields), server_event.name
