"""The browser client: the built files of `web/` served at `/`.

`web/` is a Vite + TypeScript single-page app; `npm run build` writes it to `web/dist/`
(`scripts/serve` and `scripts/test` build it when its sources changed). Here:

- `/assets/...` are Vite's content-hashed files: cached for a year, immutable.
- Any other file in the build (`/favicon.svg`) is served as it is.
- Every other GET is a client route (`/coaches/3f2b...`, `/sessions`): it gets `index.html`,
  never cached, so a new build is picked up at the next page load.
- Paths the server owns (`/api/`, `/socket.io/`, `/healthz`, `/readyz`, `/metrics`) are never
  answered with the page: an unknown `/api/...` is still a problem+json 404.

The page's Content-Security-Policy allows scripts from this origin only (and Stripe's, for
Stripe Elements), so an injected `<script>` in a coach's bio could not run even if rendering
escaped it wrongly.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from realtime.settings import Settings

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
# The server's own paths: the fallback route's pattern excludes them, so they keep their own
# 404 and 405 answers whatever the method.
RESERVED = r"(?!(?:api|socket\.io|healthz|readyz|metrics)(?:/|$))"
CLIENT_DIST = web.AppKey("client_dist", Path)

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' https://js.stripe.com",
        "frame-src https://js.stripe.com https://hooks.stripe.com",
        # 'self' covers ws: and wss: to this origin (CSP Level 3; tests/browser opens the
        # page's socket.io websockets under this policy).
        "connect-src 'self' https://api.stripe.com",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "style-src 'self' 'unsafe-inline'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Flourish</title></head>
<body><h1>Flourish</h1>
<p>The web client is not built. <code>scripts/serve</code> builds it; by hand:
<code>npm --prefix web ci &amp;&amp; npm --prefix web run build</code>.</p>
<p>The API answers at <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>
"""


def dist_of(settings: Settings) -> Path:
    """`WEB_DIST`, else the checkout's `web/dist`."""
    return Path(settings.web_dist) if settings.web_dist else DIST


def add_routes(app: web.Application, dist: Path = DIST) -> None:
    """Serve the client from `dist`. Add last: the fallback matches every other GET."""
    app[CLIENT_DIST] = dist
    app.router.add_get("/", page)
    app.router.add_get("/{path:" + RESERVED + ".*}", file_or_page)


async def page(request: web.Request) -> web.StreamResponse:
    """The single page (`index.html`), for `/` and every client route."""
    index = request.app[CLIENT_DIST] / "index.html"
    if not index.is_file():
        return web.Response(
            status=503, text=NOT_BUILT, content_type="text/html", headers=PAGE_HEADERS
        )
    return web.FileResponse(index, headers=PAGE_HEADERS)


async def file_or_page(request: web.Request) -> web.StreamResponse:
    dist = request.app[CLIENT_DIST]
    relative = request.match_info["path"]
    if relative and not relative.startswith(".") and "/." not in relative:
        try:
            target = (dist / relative).resolve()
            found = target.is_file()
        except (ValueError, OSError):  # a NUL in the path, or a name too long for the system
            raise web.HTTPNotFound() from None
        # Only files inside the build: `..` and symlinks out of it fall through to the page.
        if found and target.is_relative_to(dist.resolve()):
            if relative.startswith("assets/"):
                headers = {"Cache-Control": "public, max-age=31536000, immutable"}
            else:
                headers = {"Cache-Control": "no-cache"}
            headers["X-Content-Type-Options"] = "nosniff"
            return web.FileResponse(target, headers=headers)
        if relative.startswith("assets/") or "." in relative.rsplit("/", 1)[-1]:
            # A missing file, not a client route: a 404 rather than the page in its place.
            raise web.HTTPNotFound()
    return await page(request)
