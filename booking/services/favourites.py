"""Coaches a client saved. Only listed coaches can be saved, and only listed ones are shown:
a coach whose verification lapses drops out of the list and comes back once renewed."""

from __future__ import annotations

import uuid

from booking.policy import verification
from booking.services.coaches import CoachCard, OnlineStatus, cards
from booking.storage import coaches as coach_store
from booking.storage import favourites as favourite_store
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, NotFound

MAX_SHOWN = 500


class Favourites:
    def __init__(self, db: Database, clock: Clock, presence: OnlineStatus) -> None:
        self.db = db
        self.clock = clock
        self.presence = presence

    async def add(self, user_id: uuid.UUID, coach_id: uuid.UUID) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            coach = await coach_store.by_id(session, coach_id)
            if coach is None or not verification.listed(
                coach.verification_status, coach.reverify_by, now
            ):
                raise NotFound(Code.COACH_NOT_FOUND, f"No listed coach has id {coach_id}.")
            await favourite_store.add(session, user_id, coach_id, now)

    async def remove(self, user_id: uuid.UUID, coach_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            await favourite_store.remove(session, user_id, coach_id)

    async def listing(self, user_id: uuid.UUID) -> list[CoachCard]:
        """The saved coaches that are listed, most recently saved first."""
        async with self.db.session() as session:
            ids = await favourite_store.coach_ids(session, user_id, MAX_SHOWN)
            now = self.clock.now()
            listed = {c.id: c for c in await coach_store.listed_among(session, ids, now)}
            return await cards(session, [listed[i] for i in ids if i in listed], self.presence)
