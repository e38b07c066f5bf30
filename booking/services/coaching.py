"""The coach-side services, built once by `realtime.wiring` and handed to the API."""

from __future__ import annotations

from dataclasses import dataclass

from booking.services.agreements import Agreements
from booking.services.applications import Applications
from booking.services.badges import Badges
from booking.services.coaches import Coaches, NobodyOnline, OnlineStatus
from booking.services.directory import Directory
from booking.services.favourites import Favourites
from booking.services.registers import Registers
from booking.services.reviews import Reviews
from booking.services.specialties import Specialties
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database
from realtime.keys import derive


@dataclass(frozen=True)
class Coaching:
    specialties: Specialties
    agreements: Agreements
    applications: Applications
    coaches: Coaches
    directory: Directory
    badges: Badges
    favourites: Favourites
    reviews: Reviews
    registers: Registers

    @classmethod
    def build(
        cls,
        db: Database,
        clock: Clock,
        secret_key: str,
        presence: OnlineStatus | None = None,
        audit: Audit | None = None,
    ) -> Coaching:
        cursor_key = derive(secret_key, "list-cursor")
        presence = presence or NobodyOnline()
        return cls(
            specialties=Specialties(db),
            agreements=Agreements(db),
            applications=Applications(db, clock, cursor_key),
            coaches=Coaches(db, clock, presence),
            directory=Directory(db, clock, cursor_key, presence),
            badges=Badges(db, clock),
            favourites=Favourites(db, clock, presence),
            reviews=Reviews(db, clock, cursor_key, audit),
            registers=Registers(db, clock),
        )
