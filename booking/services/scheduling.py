"""The booking-side services, built once by `realtime.wiring` and handed to the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from booking.payments.connect import Transfers
from booking.payments.provider import PaymentProvider
from booking.policy.holds import HoldLimits
from booking.policy.outcomes import Rules as OutcomeRules
from booking.policy.refunds import RefundPolicy
from booking.services.attendance import AttendanceBook
from booking.services.availability import Availability
from booking.services.bookings import Bookings
from booking.services.calendar import Calendar
from booking.services.calendar_imports import CalendarImports
from booking.services.calendar_sources import FetchRules
from booking.services.calendars import CalendarFeed
from booking.services.changes import Changes
from booking.services.dashboard import Dashboards
from booking.services.details import Details
from booking.services.ledger import Ledger
from booking.services.messages import Messages
from booking.services.notes import NoteAnnouncer, Notes
from booking.services.notifications import Notifications, Push, nobody_listening
from booking.services.payments import Payments
from booking.services.payouts import Payouts
from booking.services.phone_pins import PhonePins
from booking.services.refunds import Refunds
from booking.services.reminders import Reminders
from booking.services.sessions import SessionGate, Sessions
from booking.services.subscriptions import Subscriptions
from booking.services.webhooks import StripeWebhooks
from realtime.audit import Audit
from realtime.clock import Clock
from realtime.db import Database
from realtime.settings import Settings
from realtime.vault import Sealer


@dataclass(frozen=True)
class Scheduling:
    bookings: Bookings
    details: Details
    notes: Notes
    payments: Payments
    changes: Changes
    calendar: Calendar
    subscriptions: Subscriptions
    imports: CalendarImports
    availability: Availability
    sessions: Sessions
    refunds: Refunds
    payouts: Payouts
    ledger: Ledger
    messages: Messages
    webhooks: StripeWebhooks
    attendance: AttendanceBook
    reminders: Reminders
    notifications: Notifications
    phone_pins: PhonePins
    dashboards: Dashboards

    @classmethod
    def build(
        cls,
        settings: Settings,
        db: Database,
        clock: Clock,
        feed: CalendarFeed,
        provider: PaymentProvider,
        transfers: Transfers,
        sealer: Sealer,
        audit: Audit,
        rooms: SessionGate | None = None,
        push: Push = nobody_listening,
        note_announcer: NoteAnnouncer | None = None,
    ) -> Scheduling:
        rules = RefundPolicy(
            full_notice_hours=settings.refund_full_notice_hours,
            late_bps=settings.refund_late_percent * 100,
        )
        refunds = Refunds(db, clock, provider, rules)
        payments = Payments(db, clock, feed, provider, refunds)
        webhook_secret = settings.stripe_webhook_secret if provider.name == "stripe" else ""
        sessions = Sessions(
            db,
            clock,
            join_early_minutes=settings.join_early_minutes,
            end_grace=settings.session_end_grace,
        )
        pins = PhonePins(
            db,
            clock,
            sealer,
            settings.secret_key,
            sessions,
            number=settings.phone_number if settings.phone_enabled else "",
        )
        return cls(
            bookings=Bookings(
                db,
                clock,
                feed,
                hold_minutes=settings.hold_minutes,
                limits=HoldLimits(
                    total=settings.hold_limit,
                    per_coach=settings.hold_limit_per_coach,
                    lapses=settings.hold_lapses,
                    cooldown=timedelta(minutes=settings.hold_cooldown_minutes),
                ),
            ),
            details=Details(db, clock, sealer, audit),
            notes=Notes(db, clock, sealer, audit, note_announcer),
            payments=payments,
            changes=Changes(
                db,
                clock,
                feed,
                sealer,
                notice_hours=settings.reschedule_notice_hours,
                refunds=refunds,
                audit=audit,
                rooms=rooms,
            ),
            calendar=Calendar(db, clock, settings.link_base),
            subscriptions=Subscriptions(db, clock, audit, settings.link_base),
            imports=CalendarImports(
                db,
                clock,
                sealer,
                audit,
                feed,
                FetchRules(
                    timeout_seconds=settings.calendar_fetch_timeout_seconds,
                    max_bytes=settings.calendar_max_bytes,
                    allow_private=settings.calendar_allow_private_addresses,
                ),
                per_coach=settings.calendar_imports_per_coach,
                refresh_minutes=settings.calendar_refresh_minutes,
            ),
            availability=Availability(db, clock, feed),
            sessions=sessions,
            refunds=refunds,
            payouts=Payouts(db, clock, transfers),
            ledger=Ledger(db, clock),
            messages=Messages(db, clock, sealer, audit),
            webhooks=StripeWebhooks(db, clock, payments, refunds, webhook_secret),
            attendance=AttendanceBook(
                db,
                clock,
                refunds,
                audit,
                OutcomeRules(
                    together=settings.outcome_together_percent / 100,
                    grace=timedelta(minutes=settings.no_show_grace_minutes),
                ),
                end_grace=settings.session_end_grace,
            ),
            reminders=Reminders(db, clock, push, pins),
            notifications=Notifications(db, clock),
            phone_pins=pins,
            dashboards=Dashboards(db, clock),
        )
