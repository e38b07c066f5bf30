"""Tells a session's room that the shared note has a new version (`note:shared`), so the
client's notes panel reads it at once; the text stays behind the audited HTTP read."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import socketio

from signalling.notes_protocol import NOTE_SHARED, NoteSharedOut
from signalling.protocol import SESSION, utc_iso
from signalling.rooms import room_channel

log = logging.getLogger(__name__)


class NoteAnnouncer:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def shared_note(self, booking_id: uuid.UUID, version: int, at: datetime) -> None:
        """Never raises: the note is stored; a client that missed the event reads it later."""
        told = NoteSharedOut(booking_id=str(booking_id), version=version, created_at=utc_iso(at))
        try:
            await self.sio.emit(
                NOTE_SHARED, told, room=room_channel(str(booking_id)), namespace=SESSION
            )
        except Exception:
            log.exception("booking %s: note:shared not delivered", booking_id)
