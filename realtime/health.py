"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: it can do work)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from realtime.db import Database
from realtime.errors import Code
from realtime.live import LiveState
from realtime.problems import problem

log = logging.getLogger(__name__)

DATABASE = web.AppKey("database", Database)
LIVE = web.AppKey("live", LiveState)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, Callable[[], Awaitable[None]]] = {
        "database": request.app[DATABASE].ping,
        "live_state": request.app[LIVE].ping,
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check(), timeout=2)
            results[name] = "ok"
        except Exception as exc:
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "failing"
    failing = [name for name, state in results.items() if state != "ok"]
    if failing:
        response = problem(
            503,
            Code.UNAVAILABLE,
            "Not ready",
            f"Not ready: {', '.join(failing)} not reachable.",
            request=request,
        )
        return response
    return web.json_response({"status": "ready", "checks": results})
