"""Every table's model, imported in one place so migrations and tests see the whole schema."""

from __future__ import annotations

from booking.storage import (
    applications,
    attendance,
    badges,
    bookings,
    calendar_imports,
    coaches,
    credential_documents,
    favourites,
    ledger,
    messages,
    notes,
    notifications,
    payouts,
    phone_pins,
    refunds,
    registers,
    reminders,
    resources,
    reviews,
    schedules,
    specialties,
    subscriptions,
    webhooks,
)
from realtime import audit, idempotency, vault
from realtime.auth import models as auth_models
from realtime.db import Base
from realtime.email import models as email_models

MODULES = (
    auth_models,
    idempotency,
    email_models,
    vault,
    audit,
    applications,
    attendance,
    badges,
    bookings,
    calendar_imports,
    coaches,
    credential_documents,
    favourites,
    ledger,
    messages,
    notes,
    notifications,
    payouts,
    phone_pins,
    refunds,
    registers,
    reminders,
    resources,
    reviews,
    schedules,
    specialties,
    subscriptions,
    webhooks,
)

metadata = Base.metadata
