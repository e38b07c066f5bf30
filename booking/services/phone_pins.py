"""Dial-in PINs for phone sessions (docs/phone.md): each participant of a confirmed phone
booking gets one, shown to them in the app; a caller who types it is let into the booking's
room as that participant, only inside its join window (the room's own admission rules).

A PIN is 6 digits, so it is looked up by a keyed hash (HMAC under a key derived from
SECRET_KEY, `media.phone.pin_digest`): without the key, the million PINs cannot be tried
offline. It is also sealed in the booking's vault scope, for showing it again; it never
appears in logs or URLs. Unique among all stored PINs (a new one is drawn on a collision)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from booking.services.bookings import Party, participant_booking
from booking.services.sessions import Admission, Sessions
from booking.storage import phone_pins as store
from media.phone import is_pin, new_pin, pin_digest, pin_key
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict
from realtime.vault import Sealer, booking_scope

log = logging.getLogger(__name__)

DRAWS = 8  # new PINs tried when one collides with a stored PIN


@dataclass(frozen=True)
class PhoneAdmission:
    """A caller's place: the participant their PIN belongs to, and the room's admission."""

    user_id: uuid.UUID
    admission: Admission


class PhonePins:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sealer: Sealer,
        secret_key: str,
        sessions: Sessions,
        number: str = "",
    ) -> None:
        # The number callers dial (PHONE_NUMBER); empty while dial-in is off.
        self.number = number
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.key = pin_key(secret_key)
        self.sessions = sessions

    async def of(self, party: Party, booking_id: uuid.UUID) -> str:
        """The caller's PIN for this phone session (made on first asking). 404 for a booking
        that is not theirs; 409 for one that is not a phone session."""
        async with self.db.session() as session:
            booking, _ = await participant_booking(session, Party(party.user_id), booking_id)
            if not booking.dial_in:
                raise Conflict(
                    Code.PHONE_NOT_OFFERED,
                    "This session is joined from the browser only: phone sessions, and video "
                    "sessions whose coach allows dial-in, can be joined by telephone.",
                )
            found = await store.of_participant(session, booking_id, party.user_id)
        box = await self.sealer.box(booking_scope(booking_id))
        item = store.item_id(party.user_id)
        if found is not None:
            return box.open(item, found.pin).decode()
        for _ in range(DRAWS):
            pin = new_pin()
            try:
                async with self.db.session() as session:
                    session.add(
                        store.PhonePin(
                            booking_id=booking_id,
                            user_id=party.user_id,
                            digest=pin_digest(self.key, pin),
                            pin=box.seal(item, pin.encode()),
                            created_at=self.clock.now(),
                        )
                    )
                log.info("booking %s: a dial-in PIN for user %s", booking_id, party.user_id)
                return pin
            except IntegrityError:
                async with self.db.session() as session:  # made meanwhile by another request?
                    mine = await store.of_participant(session, booking_id, party.user_id)
                if mine is not None:
                    return box.open(item, mine.pin).decode()
        raise RuntimeError("no free PIN after several draws")

    async def admit(self, digits: str) -> PhoneAdmission | None:
        """The participant whose PIN `digits` is, admitted to their room now; None for no such
        PIN. A room that is not open raises its own refusal (too early, over, canceled)."""
        if not is_pin(digits):
            return None
        async with self.db.session() as session:
            found = await store.by_digest(session, pin_digest(self.key, digits))
        if found is None:
            return None
        admission = await self.sessions.admit(found.user_id, found.booking_id)
        return PhoneAdmission(found.user_id, admission)
