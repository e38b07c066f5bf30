"""Session details (step 2 of booking): what the client tells the coach before the session.

Focus area, notes for the coach, preferred name and relationship-assessment answers are private:
they are stored sealed in `Booking.details` (JSON inside, item "details" in the booking's vault
scope: realtime/vault.py), shown only to the booking's client and coach, and never logged.
Each read and write is in the audit log (`details.read`, `details.write`: booking and user ids
and the caller's address) and logged with the booking id and the user id only.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from booking.policy import states
from booking.services.bookings import Party, participant_booking
from booking.services.changes import effective_status
from booking.storage.bookings import Booking
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict, Forbidden
from realtime.vault import Box, Sealer, booking_scope

log = logging.getLogger(__name__)

DETAILS_ITEM = "details"
FIELDS = ("focus_area", "notes_for_coach", "preferred_name", "assessment_answers")
Answer = str | int | bool


@dataclass(frozen=True)
class SessionDetails:
    focus_area: str | None = None
    notes_for_coach: str | None = None
    preferred_name: str | None = None
    assessment_answers: dict[str, Answer] = field(default_factory=dict)


class Details:
    def __init__(self, db: Database, clock: Clock, sealer: Sealer, audit: Audit) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit

    async def update(
        self,
        party: Party,
        booking_id: uuid.UUID,
        changes: dict[str, Any],
        *,
        address: str | None = None,
    ) -> SessionDetails:
        """Step 2: set the given fields (None clears one); the others keep their value."""
        now = self.clock.now()
        # Authorised first, then the key loaded (which may make it: realtime/vault.py says why,
        # and a refused caller must not leave a key behind), then the write.
        async with self.db.session() as session:
            _check_update(party, (await participant_booking(session, party, booking_id))[0], now)
        box = await self.sealer.box(booking_scope(booking_id))
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, party, booking_id, lock=True)
            _check_update(party, booking, now)
            stored = unseal(box, booking)
            stored.update({k: v for k, v in changes.items() if k in FIELDS})
            kept = {k: v for k, v in stored.items() if v not in (None, {})}
            booking.details = box.seal(DETAILS_ITEM, orjson.dumps(kept)) if kept else None
            booking.updated_at = now
        await self._audit("details.write", party, booking_id, address)
        log.info("booking %s details updated by user %s", booking_id, party.user_id)
        return _details(kept)

    async def read(
        self, party: Party, booking_id: uuid.UUID, *, address: str | None = None
    ) -> SessionDetails:
        """The details, for the booking's client and coach only."""
        async with self.db.session() as session:
            # As a plain participant: an admin sees the booking, not what the client confided.
            booking, _ = await participant_booking(session, Party(party.user_id), booking_id)
        box = await self.sealer.box(booking_scope(booking_id))
        await self._audit("details.read", party, booking_id, address)
        stored = unseal(box, booking)
        log.info("booking %s details read by user %s", booking_id, party.user_id)
        return _details(stored)

    async def _audit(
        self, action: str, party: Party, booking_id: uuid.UUID, address: str | None
    ) -> None:
        await self.audit.record(
            actor_id=party.user_id,
            action=action,
            booking_id=booking_id,
            item_id=DETAILS_ITEM,
            address=address,
        )


def _check_update(party: Party, booking: Booking, now: datetime) -> None:
    if booking.client_id != party.user_id:
        raise Forbidden(Code.FORBIDDEN, "Only the booking's client can add session details.")
    status = effective_status(booking, now)
    if status is states.Status.EXPIRED:
        raise Conflict(Code.HOLD_EXPIRED, "The hold on this slot has expired; hold a slot again.")
    if status not in (states.Status.HELD, states.Status.CONFIRMED):
        raise Conflict(
            Code.ILLEGAL_TRANSITION,
            "Session details can be changed while a booking is held or confirmed, "
            f"not {status.value}.",
        )


def unseal(box: Box, booking: Booking) -> dict[str, Any]:
    if booking.details is None:
        return {}
    data = orjson.loads(box.open(DETAILS_ITEM, booking.details))
    return dict(data) if isinstance(data, dict) else {}


def _details(data: dict[str, Any]) -> SessionDetails:
    return SessionDetails(
        focus_area=data.get("focus_area"),
        notes_for_coach=data.get("notes_for_coach"),
        preferred_name=data.get("preferred_name"),
        assessment_answers=dict(data.get("assessment_answers") or {}),
    )
