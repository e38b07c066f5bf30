"""The resource events of `/session` (signalling/resources.py), declared for
signalling/protocol.py, which lists them in the namespace and writes them into
`docs/protocol.md`. Sharing itself is over HTTP (`POST /api/bookings/{id}/resources`); the room
only hears about it."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from signalling.protodoc import Doc, ServerEvent

RESOURCE_SHARED = "resource:shared"


class ResourceSharedOut(TypedDict):
    id: Annotated[str, Doc("The resource's id (UUID).")]
    kind: Annotated[Literal["link", "file"], Doc("A link or a file.")]
    title: Annotated[str, Doc("What the coach called it.")]
    url: Annotated[str | None, Doc("The link, for a link.")]
    file_name: Annotated[str | None, Doc("The file's name, for a file.")]
    content_type: Annotated[str | None, Doc("The file's type, found from its content.")]
    size: Annotated[int | None, Doc("The file's size in bytes.")]
    created_at: Annotated[str, Doc("When it was shared, UTC ISO 8601.")]


RESOURCE_SERVER_EVENTS = (
    ServerEvent(
        name=RESOURCE_SHARED,
        summary="The coach shared a link or a file into your session (through any server). "
        "A file's download URL is yours alone: get it from `GET /api/bookings/{id}/resources`.",
        payload=ResourceSharedOut,
        example={
            "id": "0b7e4a52-1c9d-4f3e-8a6b-5d2c1e0f9a8b",
            "kind": "file",
            "title": "Values worksheet",
            "url": None,
            "file_name": "values-worksheet.pdf",
            "content_type": "application/pdf",
            "size": 48213,
            "created_at": "2026-03-10T13:05:40.120Z",
        },
    ),
)
