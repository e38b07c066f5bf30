"""Session notes: the coach's private note and the note shared with the client, every edit a
new version with its author and time (`booking.policy.notes` has the rules).

Bodies are sealed in the booking's vault scope, each bound to its version's row. Every read and
write is audited (`notes.read` per note read, `notes.write` with the version id); logs carry
booking and user ids only. The caller is authorised before the booking's key is loaded, so a
refused request stores nothing, not even a data key.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from booking.policy import notes as rules
from booking.policy.notes import Audience
from booking.services.bookings import Party, participant_booking
from booking.services.statuses import effective_status
from booking.storage import notes as store
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import Code, Conflict, Forbidden
from realtime.vault import Sealer, booking_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    version: int
    text: str
    author_id: uuid.UUID
    created_at: datetime


@dataclass(frozen=True)
class Note:
    audience: Audience
    history: list[Version]  # newest first

    @property
    def latest(self) -> Version | None:
        return self.history[0] if self.history else None


class NoteAnnouncer(Protocol):
    """Tells a session's room that its shared note has a new version (signalling.notes)."""

    async def shared_note(self, booking_id: uuid.UUID, version: int, at: datetime) -> None: ...


class Notes:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sealer: Sealer,
        audit: Audit,
        announcer: NoteAnnouncer | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit
        self.announcer = announcer

    async def write(
        self,
        party: Party,
        booking_id: uuid.UUID,
        audience: Audience,
        text: str,
        *,
        address: str | None = None,
    ) -> Version:
        """A new version of one note, by the session's coach."""
        async with self.db.session() as session:
            _check_write(
                party,
                *await participant_booking(session, Party(party.user_id), booking_id),
                self.clock.now(),
            )
        box = await self.sealer.box(booking_scope(booking_id))
        version_id = new_id()
        async with self.db.session() as session:
            booking, coach = await participant_booking(
                session, Party(party.user_id), booking_id, lock=True
            )
            now = self.clock.now()
            _check_write(party, booking, coach, now)
            number = await store.last_version(session, booking_id, audience.value) + 1
            session.add(
                store.NoteVersion(
                    id=version_id,
                    booking_id=booking_id,
                    audience=audience.value,
                    version=number,
                    author_id=party.user_id,
                    created_at=now,
                    body=box.seal(store.item_id(version_id), text.encode()),
                )
            )
        await self.audit.record(
            actor_id=party.user_id,
            action="notes.write",
            booking_id=booking_id,
            item_id=store.item_id(version_id),
            address=address,
        )
        log.info(
            "booking %s %s note version %d by user %s",
            booking_id,
            audience.value,
            number,
            party.user_id,
        )
        if audience is Audience.SHARED and self.announcer is not None:
            await self.announcer.shared_note(booking_id, number, now)
        return Version(number, text, party.user_id, now)

    async def read(
        self, party: Party, booking_id: uuid.UUID, *, address: str | None = None
    ) -> list[Note]:
        """The notes this participant may read, each with its whole history."""
        async with self.db.session() as session:
            # As a plain participant: an admin sees the booking, never its notes.
            booking, coach = await participant_booking(session, Party(party.user_id), booking_id)
            audiences = rules.readable(is_coach=coach.user_id == party.user_id)
            rows = await store.versions(session, booking_id, [a.value for a in audiences])
        for audience in audiences:
            await self.audit.record(
                actor_id=party.user_id,
                action="notes.read",
                booking_id=booking_id,
                item_id=f"notes:{audience.value}",
                address=address,
            )
        box = await self.sealer.box(booking_scope(booking_id)) if rows else None
        notes = []
        for audience in audiences:
            history = [
                Version(
                    row.version,
                    box.open(store.item_id(row.id), row.body).decode(),
                    row.author_id,
                    row.created_at,
                )
                for row in rows
                if box is not None and row.audience == audience.value
            ]
            notes.append(Note(audience, history))
        log.info("booking %s notes read by user %s", booking.id, party.user_id)
        return notes


def _check_write(party: Party, booking: Booking, coach: Coach, now: datetime) -> None:
    refusal = rules.may_write(
        is_coach=coach.user_id == party.user_id, status=effective_status(booking, now)
    )
    if refusal is rules.Refusal.NOT_THE_COACH:
        raise Forbidden(Code.FORBIDDEN, "Only the session's coach writes its notes.")
    if refusal is rules.Refusal.NO_SESSION:
        raise Conflict(
            Code.BOOKING_NOT_CONFIRMED,
            "Notes are kept for confirmed sessions; this booking is "
            f"{effective_status(booking, now).value}.",
        )
