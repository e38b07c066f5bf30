"""The `notification` event (signalling/notifications.py), declared for signalling/protocol.py,
which lists it on both namespaces and writes it into `docs/protocol.md`."""

from __future__ import annotations

from typing import Annotated, TypedDict

from signalling.protodoc import Doc, ServerEvent

NOTIFICATION = "notification"


class NotificationOut(TypedDict):
    id: Annotated[str, Doc("The notification's id (as in `GET /api/me/notifications`).")]
    kind: Annotated[str, Doc("`session_reminder` (24 hours and 1 hour before a session).")]
    text: Annotated[str, Doc("What to show, in the reader's zone; nothing private.")]
    booking_id: Annotated[str | None, Doc("The session it is about, for a link.")]
    created_at: Annotated[str, Doc("UTC ISO 8601.")]


NOTIFICATION_EVENT = ServerEvent(
    name=NOTIFICATION,
    summary="Something for you (a session reminder), sent to every authenticated socket of "
    "yours on both namespaces the moment it is written; also kept in "
    "`GET /api/me/notifications` until you mark it read.",
    payload=NotificationOut,
    example={
        "id": "0b6e5cde-8a4f-4c7b-9f0e-6a1d2b3c4d5e",
        "kind": "session_reminder",
        "text": "Your session starts Tue 10 Mar 2026, 09:00 EDT.",
        "booking_id": "9b1f6c1e-2d0a-4f4e-8a57-3c1d2e4f5a6b",
        "created_at": "2026-03-10T12:00:00Z",
    },
)
