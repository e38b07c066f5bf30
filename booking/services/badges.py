"""Specialisation badges ("Certified Gottman therapist"), granted and revoked by admins; each
grant and revocation is an event on the coach's trail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from booking.storage import applications as application_store
from booking.storage import badges as badge_store
from booking.storage import coaches as coach_store
from booking.storage.badges import Badge
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict, NotFound


@dataclass(frozen=True)
class BadgeView:
    slug: str
    name: str
    description: str


class Badges:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def listing(self) -> list[BadgeView]:
        async with self.db.session() as session:
            rows = await badge_store.listing(session)
        return [BadgeView(b.slug, b.name, b.description) for b in rows]

    async def create(self, slug: str, name: str, description: str) -> BadgeView:
        async with self.db.session() as session:
            if await session.get(Badge, slug) is not None:
                raise Conflict(Code.BADGE_EXISTS, f"The badge {slug!r} exists already.")
            session.add(Badge(slug=slug, name=name, description=description))
        return BadgeView(slug, name, description)

    async def grant(self, admin_id: uuid.UUID, coach_id: uuid.UUID, slug: str) -> None:
        """Give the coach the badge (granting it again changes nothing)."""
        async with self.db.session() as session:
            await _check(session, coach_id, slug)
            now = self.clock.now()
            if await badge_store.grant(session, coach_id, slug, admin_id, now):
                application_store.record(
                    session,
                    coach_id=coach_id,
                    application_id=None,
                    actor_id=admin_id,
                    action="badge_granted",
                    at=now,
                    note=slug,
                )

    async def revoke(self, admin_id: uuid.UUID, coach_id: uuid.UUID, slug: str) -> None:
        """Take the badge away (revoking one the coach lacks changes nothing)."""
        async with self.db.session() as session:
            await _check(session, coach_id, slug)
            if await badge_store.revoke(session, coach_id, slug):
                application_store.record(
                    session,
                    coach_id=coach_id,
                    application_id=None,
                    actor_id=admin_id,
                    action="badge_revoked",
                    at=self.clock.now(),
                    note=slug,
                )


async def _check(session: AsyncSession, coach_id: uuid.UUID, slug: str) -> None:
    if await coach_store.by_id(session, coach_id) is None:
        raise NotFound(Code.COACH_NOT_FOUND, f"No coach has id {coach_id}.")
    if await session.get(Badge, slug) is None:
        raise NotFound(Code.BADGE_NOT_FOUND, f"No badge is called {slug!r}.")
