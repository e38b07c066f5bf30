"""The application factory: `create_app(settings)` builds one complete server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from booking import api as booking_api
from booking.api import attendance as attendance_api
from booking.api import availability as availability_api
from booking.api import bookings as bookings_api
from booking.api import calendar as calendar_api
from booking.api import calendar_imports as calendar_imports_api
from booking.api import changes as changes_api
from booking.api import credential_documents as credential_documents_api
from booking.api import details as details_api
from booking.api import messages as messages_api
from booking.api import money as money_api
from booking.api import notes as notes_api
from booking.api import notifications as notifications_api
from booking.api import payments as payments_api
from booking.api import phone as phone_api
from booking.api import resources as resources_api
from booking.api import subscriptions as subscriptions_api
from media import phone_api as phone_webhooks
from media import phone_stream
from realtime import audit_api, headers, health, idempotency, metrics, openapi, webclient, wiring
from realtime.auth import api as auth_api
from realtime.auth import recovery_api
from realtime.auth.passwords import Passwords
from realtime.clock import Clock
from realtime.http import OPERATIONS, ApiRoutes, add_routes
from realtime.logs import request_id_middleware
from realtime.problems import problems_middleware
from realtime.settings import Settings
from signalling import server as signalling_server

SERVICES = web.AppKey("services", wiring.Services)

ROUTE_TABLES: tuple[ApiRoutes, ...] = (
    auth_api.routes,
    recovery_api.routes,
    audit_api.routes,
    *booking_api.TABLES,
    bookings_api.routes,
    details_api.routes,
    messages_api.routes,
    notes_api.routes,
    resources_api.routes,
    resources_api.library_routes,
    credential_documents_api.routes,
    payments_api.routes,
    phone_api.routes,
    phone_webhooks.routes,
    changes_api.routes,
    attendance_api.routes,
    notifications_api.routes,
    money_api.routes,
    calendar_api.routes,
    availability_api.routes,
    subscriptions_api.routes,
    calendar_imports_api.routes,
)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    passwords: Passwords | None = None,
    client_dist: Path | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[request_id_middleware, metrics.metrics_middleware, problems_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[OPERATIONS] = []
    headers.add_to(app, production=settings.production)
    app[idempotency.SEAL] = idempotency.sealer(settings.secret_key)
    # Made here, not at import: one per app, and after any fork (python-socketio issue #1263).
    sio = signalling_server.create_server(settings)
    sio.attach(app)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        async with (
            wiring.services(settings, clock, passwords=passwords, sio=sio) as services,
            signalling_server.running(sio),
        ):
            app[SERVICES] = services
            wiring.provide(app, services)
            wiring.serve_sockets(sio, services)
            await openapi.prepare(app)
            yield

    async def close_sockets(app: web.Application) -> None:
        if SERVICES in app:
            await app[SERVICES].phone_calls.close()
        await signalling_server.disconnect_all(sio)

    app.cleanup_ctx.append(lifetime)
    app.on_shutdown.append(close_sockets)
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", metrics.metrics_endpoint(settings.metrics_token))
    app.router.add_get("/api/openapi.json", openapi.openapi_endpoint)
    add_routes(app, *ROUTE_TABLES)
    # Twilio's Media Streams WebSocket (docs/phone.md); not JSON over HTTP, so not in OpenAPI.
    app.router.add_get("/phone/stream", phone_stream.stream)
    # Last: its fallback answers every GET that no route above claimed.
    webclient.add_routes(app, client_dist or webclient.dist_of(settings))
    return app
