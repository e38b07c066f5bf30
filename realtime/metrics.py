"""Prometheus metrics at `/metrics`, one registry per app (no process-global state).

`/metrics` is not public: it answers only a request carrying `Authorization: Bearer
<METRICS_TOKEN>` (Prometheus's `authorization` scrape setting sends it); without the token
set it answers 404 as if it did not exist, and a wrong or missing token is a 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from realtime.clock import Clock
from realtime.errors import Code, NotFound, Unauthorized

PHONE_LATENESS_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.02,
    0.03,
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "flourish_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "flourish_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.logins = Counter(
            "flourish_logins",
            "Login attempts by outcome.",
            ["outcome"],
            registry=self.registry,
        )

        self.timer_lateness = Histogram(
            "flourish_session_timer_lateness_seconds",
            "How long after its due time a session timer fired, by kind (warning, end).",
            ["kind"],
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30),
        )
        # Fine buckets below one frame (20 ms): the pacer's target is a p99 under 20 ms.
        self.phone_frame_lateness = Histogram(
            "flourish_phone_frame_lateness_seconds",
            "How long after its 20 ms slot each audio frame to a phone caller went out.",
            registry=self.registry,
            buckets=PHONE_LATENESS_BUCKETS,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)
CLOCK = web.AppKey("clock", Clock)


def route_label(request: web.Request) -> str:
    """The route template (`/api/coaches/{id}`), never the raw path, which may hold ids."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    clock = request.app[CLOCK]
    started = clock.monotonic()
    response = await handler(request)
    route = route_label(request)
    metrics.requests.labels(request.method, route, str(response.status)).inc()
    metrics.latency.labels(request.method, route).observe(clock.monotonic() - started)
    return response


def metrics_endpoint(token: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The `/metrics` handler, open only to `Authorization: Bearer <token>`."""
    expected = f"Bearer {token}".encode()

    async def endpoint(request: web.Request) -> web.Response:
        if not token:
            raise NotFound(Code.NOT_FOUND, f"No resource at {request.path}.")
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise Unauthorized(
                Code.UNAUTHENTICATED,
                "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`.",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body = request.app[METRICS].render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return endpoint
