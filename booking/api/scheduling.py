"""The key under which the booking-side services reach the API (filled by `realtime.wiring`)."""

from __future__ import annotations

from aiohttp import web

from booking.services.scheduling import Scheduling

SCHEDULING = web.AppKey("scheduling", Scheduling)
