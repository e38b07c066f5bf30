"""Headers every answer carries, whatever route (or none) produced it.

- `X-Content-Type-Options: nosniff` on everything: a browser never guesses a type, so a JSON
  answer holding a coach's bio is never run as HTML or script.
- `Cache-Control: no-store` on every `/api/` answer and on `/metrics` unless the route chose
  its own: they carry personal data, tokens and payment client secrets, which no browser cache
  or shared proxy may keep. (The page and its assets keep theirs: `realtime/webclient.py`.)
- `Strict-Transport-Security` in production, where TLS is terminated in front of us: a browser
  that has seen it once never speaks plain HTTP to the site again.
- `Server: flourish`: no framework or Python version for a scanner to match against.

Set in `on_response_prepare`, so answers from every route, the socket.io endpoint, the static
files and the problem+json middleware all get them. What aiohttp answers before any route runs
gets them from `realtime.edge`.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from aiohttp import web

SERVER = "flourish"
NO_STORE = "no-store"
HSTS = "max-age=63072000; includeSubDomains"
PRIVATE_PREFIXES = ("/api/", "/metrics")


def secure(headers: MutableMapping[str, str], path: str, *, production: bool) -> None:
    """Add the headers above to `headers` of an answer to `path`."""
    headers["Server"] = SERVER
    headers["X-Content-Type-Options"] = "nosniff"
    if path.startswith(PRIVATE_PREFIXES) and "Cache-Control" not in headers:
        headers["Cache-Control"] = NO_STORE
    if production:
        headers["Strict-Transport-Security"] = HSTS


def add_to(app: web.Application, *, production: bool) -> None:
    """Give every answer of `app` these headers."""

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        secure(response.headers, request.path, production=production)

    app.on_response_prepare.append(on_prepare)
