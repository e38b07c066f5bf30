"""The managed specialty list coaches choose from; admins extend it."""

from __future__ import annotations

from dataclasses import dataclass

from booking.storage import specialties as specialty_store
from booking.storage.specialties import Specialty
from realtime.db import Database
from realtime.errors import Code, Conflict


@dataclass(frozen=True)
class SpecialtyView:
    slug: str
    name: str
    description: str


class Specialties:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def listing(self) -> list[SpecialtyView]:
        async with self.db.session() as session:
            rows = await specialty_store.listing(session)
        return [SpecialtyView(s.slug, s.name, s.description) for s in rows]

    async def create(self, slug: str, name: str, description: str) -> SpecialtyView:
        async with self.db.session() as session:
            if await session.get(Specialty, slug) is not None:
                raise Conflict(Code.SPECIALTY_EXISTS, f"The specialty {slug!r} exists already.")
            session.add(Specialty(slug=slug, name=name, description=description))
        return SpecialtyView(slug, name, description)
