"""The key under which the coach-side services reach the API (filled by `realtime.wiring`)."""

from __future__ import annotations

from aiohttp import web

from booking.services.coaching import Coaching

COACHING = web.AppKey("coaching", Coaching)
