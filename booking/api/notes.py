"""Session notes: the coach's private note and the note shared with the client."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.bookings import party
from booking.api.scheduling import SCHEDULING
from booking.policy.notes import Audience
from booking.services.notes import Note, Version
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")

MAX_NOTE = 20_000


class NoteIn(Input):
    audience: Audience = Field(
        description="`private`: only you, the coach, read it; `shared`: your client reads it."
    )
    text: str = Field(min_length=1, max_length=MAX_NOTE, description="The note's new text.")


class VersionOut(Output):
    version: int = Field(description="1 for the first text, then one more per edit.")
    text: str
    author_id: uuid.UUID
    created_at: datetime

    @classmethod
    def of(cls, version: Version) -> VersionOut:
        return cls(**version.__dict__)


class NoteOut(Output):
    latest: VersionOut | None = Field(description="The current text; null if never written.")
    history: list[VersionOut] = Field(description="Every version, newest first.")

    @classmethod
    def of(cls, note: Note) -> NoteOut:
        history = [VersionOut.of(v) for v in note.history]
        return cls(latest=history[0] if history else None, history=history)


class NotesOut(Output):
    private: NoteOut | None = Field(description="The coach's private note; null for the client.")
    shared: NoteOut


@routes.get(
    "/api/bookings/{id}/notes",
    summary="A session's notes, latest text and every version",
    responses={200: NotesOut},
    errors=(404,),
)
async def read_notes(request: web.Request, _: NoInput) -> web.StreamResponse:
    """The coach reads both notes, the client the shared one; anyone else (admins too) 404."""
    caller = await require(request)
    notes = {
        n.audience: n
        for n in await request.app[SCHEDULING].notes.read(
            party(caller), uuid_param(request), address=request_address(request)
        )
    }
    private = notes.get(Audience.PRIVATE)
    return respond(
        NotesOut(
            private=NoteOut.of(private) if private else None,
            shared=NoteOut.of(notes[Audience.SHARED]),
        )
    )


@routes.post(
    "/api/bookings/{id}/notes",
    summary="Write a new version of a session note",
    input=NoteIn,
    responses={201: VersionOut},
    access="coach",
    errors=(403, 404, 409),
)
async def write_note(request: web.Request, body: NoteIn) -> web.StreamResponse:
    """By the session's coach, once the booking is confirmed; each write is a new version, and
    the earlier ones stay in the history."""
    caller = await require(request, Role.COACH)
    version = await request.app[SCHEDULING].notes.write(
        party(caller),
        uuid_param(request),
        body.audience,
        body.text,
        address=request_address(request),
    )
    return respond(VersionOut.of(version), status=201)
