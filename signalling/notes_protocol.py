"""The notes event of `/session` (signalling/notes.py), declared for signalling/protocol.py
(through signalling/room_protocol.py) and `docs/protocol.md`. Notes are written and read over
HTTP (`/api/bookings/{id}/notes`, every read audited); the room only hears that the shared
note has a new version, never its text."""

from __future__ import annotations

from typing import Annotated, TypedDict

from signalling.protodoc import Doc, ServerEvent

NOTE_SHARED = "note:shared"


class NoteSharedOut(TypedDict):
    booking_id: Annotated[str, Doc("The session.")]
    version: Annotated[int, Doc("The shared note's new version: read it with GET .../notes.")]
    created_at: Annotated[str, Doc("When it was saved, UTC ISO 8601.")]


NOTES_SERVER_EVENTS = (
    ServerEvent(
        name=NOTE_SHARED,
        summary="The coach saved a new version of the note shared with the client (on any "
        "server); fetch `GET /api/bookings/{id}/notes` to read it. Private notes say nothing.",
        payload=NoteSharedOut,
        example={
            "booking_id": "9b1f6c1e-2d0a-4f4e-8a57-3c1d2e4f5a6b",
            "version": 3,
            "created_at": "2026-03-10T13:20:05Z",
        },
    ),
)
