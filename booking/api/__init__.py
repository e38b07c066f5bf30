"""The coach-side HTTP API. `TABLES` lists its route tables in registration order:
`/api/coaches/me` before `/api/coaches/{id}`."""

from __future__ import annotations

from booking.api import (
    agreements,
    applications,
    badges,
    coaches,
    dashboard,
    directory,
    favourites,
    registers,
    reviews,
    specialties,
)
from realtime.http import ApiRoutes

TABLES: tuple[ApiRoutes, ...] = (
    specialties.routes,
    agreements.routes,
    applications.routes,
    dashboard.routes,
    coaches.routes,
    directory.routes,
    reviews.routes,
    badges.routes,
    favourites.routes,
    registers.routes,
)
