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
    payouts,
    refunds,
    reviews,
    schedules,
    specialties,
    webhooks,
)
from realtime import idempotency
from realtime.auth import models as auth_models
from realtime.db import Base

MODULES = (
    auth_models,
    idempotency,
    applications,
    badges,
    bookings,
    coaches,
    favourites,
    ledger,
    messages,
    payouts,
    refunds,
    reviews,
    schedules,
    specialties,
    webhooks,
)

metadata = Base.metadata
