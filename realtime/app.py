"""The application factory: `create_app(settings)` builds one complete server."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from realtime import health, metrics, openapi, wiring
from realtime.auth.passwords import Passwords
from realtime.clock import Clock
from realtime.http import OPERATIONS, ApiRoutes, add_routes
from realtime.logs import request_id_middleware
from realtime.problems import problems_middleware
from realtime.settings import Settings

SERVICES = web.AppKey("services", wiring.Services)

ROUTE_TABLES: tuple[ApiRoutes, ...] = ()


def create_app(
    settings: Settings, *, clock: Clock | None = None, passwords: Passwords | None = None
) -> web.Application:
    app = web.Application(
        middlewares=[request_id_middleware, metrics.metrics_middleware, problems_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[OPERATIONS] = []

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        async with wiring.services(settings, clock, passwords=passwords) as services:
            app[SERVICES] = services
            wiring.provide(app, services)
            await openapi.prepare(app)
            yield

    app.cleanup_ctx.append(lifetime)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics_endpoint)
    app.router.add_get("/api/openapi.json", openapi.openapi_endpoint)
    add_routes(app, *ROUTE_TABLES)
    return app
