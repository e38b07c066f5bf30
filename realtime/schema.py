"""Every table's model, imported in one place so migrations and tests see the whole schema."""

from __future__ import annotations

from booking.storage import (
    applications,
    badges,
    bookings,
    coaches,
    favourites,
    ledger,
    messages,
    notes,
    payouts,
    refunds,
    reviews,
    schedules,
    specialties,
    webhooks,
)
from realtime import audit, idempotency, vault
from realtime.auth import models as auth_models
from realtime.db import Base

MODULES = (
    auth_models,
    idempotency,
    vault,
    audit,
    applications,
    badges,
    bookings,
    coaches,
    favourites,
    ledger,
    messages,
    notes,
    payouts,
    refunds,
    reviews,
    schedules,
    specialties,
    webhooks,
)

metadata = Base.metadata
