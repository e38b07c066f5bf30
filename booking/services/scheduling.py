"""The booking-side services, built once by `realtime.wiring` and handed to the API."""

from __future__ import annotations

from dataclasses import dataclass

from booking.payments.provider import PaymentProvider
from booking.services.availability import Availability
from booking.services.bookings import Bookings
from booking.services.calendar import Calendar
from booking.services.calendars import CalendarFeed
from booking.services.changes import Changes
from booking.services.details import Details
from booking.services.payments import Payments
from booking.services.sessions import Sessions
from realtime.clock import Clock
from realtime.db import Database
from realtime.settings import Settings


@dataclass(frozen=True)
class Scheduling:
    bookings: Bookings
    details: Details
    payments: Payments
    changes: Changes
    calendar: Calendar
    availability: Availability
    sessions: Sessions

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        clock: Clock,
        feed: CalendarFeed,
        provider: PaymentProvider,
    ) -> Scheduling:
        return cls(
            bookings=Bookings(db, clock, feed, hold_minutes=settings.hold_minutes),
            details=Details(db, clock, settings.secret_key),
            payments=Payments(db, clock, feed, provider),
            changes=Changes(
                db,
                clock,
                feed,
                settings.secret_key,
                notice_hours=settings.reschedule_notice_hours,
            ),
            calendar=Calendar(db, clock),
            availability=Availability(db, clock, feed),
            sessions=Sessions(db, clock, join_early_minutes=settings.join_early_minutes),
        )
