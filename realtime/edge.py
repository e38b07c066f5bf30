"""What aiohttp refuses before any route runs, answered as problem+json like everything else.

aiohttp's HTTP parser refuses a request line or header over its limits and malformed HTTP
before the app sees a request; `RequestHandler.handle_error` then answers in plain text with a
400 (aiohttp 3.14, `web_protocol.py`: every parser error becomes `_ErrInfo(status=400)`). Here
the same refusals get a problem+json body, the status that names them (RFC 9110: 414 for a
request line too long, RFC 6585: 431 for headers too large, else 400) and the headers every
answer carries (`realtime.headers`); the connection is still closed, as aiohttp does.

aiohttp makes its request handler class in `web.Server.__call__` and its server in
`AppRunner._make_server`, the runner's one overridable step, so `ProblemAppRunner` builds a
`ProblemServer` that makes `ProblemRequestHandler`s. `flourish serve` runs the app with it;
the rest of the app (routes, middlewares, signals) is untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from realtime import headers
from realtime.errors import Code
from realtime.problems import problem

log = logging.getLogger(__name__)

# aiohttp's defaults (RequestHandler: max_line_size, max_field_size, max_headers).
MAX_LINE = 8190
MAX_HEADERS = 128


def refusal(status: int, exc: BaseException | None) -> tuple[int, Code, str, str]:
    """The status, code, title and detail for what the parser refused."""
    if isinstance(exc, LineTooLong):
        line = exc.args[0] if exc.args else b""
        # The request line is read first, and only it starts with the path.
        if isinstance(line, bytes | bytearray) and line.startswith((b"/", b"http", b"*")):
            return (
                414,
                Code.REQUEST_LINE_TOO_LONG,
                "URI Too Long",
                f"The request line is longer than the {MAX_LINE} bytes this server reads.",
            )
        return (
            431,
            Code.HEADERS_TOO_LARGE,
            "Request Header Fields Too Large",
            f"A header is longer than the {MAX_LINE} bytes this server reads.",
        )
    if isinstance(exc, BadHttpMessage) and "Too many headers" in str(exc):
        return (
            431,
            Code.HEADERS_TOO_LARGE,
            "Request Header Fields Too Large",
            f"The request has more than the {MAX_HEADERS} headers this server reads.",
        )
    if status >= 500:
        return (
            status,
            Code.INTERNAL,
            "Internal server error",
            "Something went wrong on our side.",
        )
    return (
        status,
        Code.MALFORMED_REQUEST,
        "Bad Request",
        "This is not a valid HTTP request (request line or headers).",
    )


class ProblemRequestHandler(RequestHandler):
    """aiohttp's request handler, whose own refusals are problem+json."""

    def __init__(self, *args: Any, production: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.production = production

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        code_status, code, title, detail = refusal(status, exc)
        if code_status >= 500:
            # aiohttp's own: logs the traceback, raises if part of an answer went out already.
            super().handle_error(request, status, exc, message)
        elif request.writer.output_size > 0:
            raise ConnectionError("an answer was partly sent; no other can follow")
        else:
            # Not aiohttp's log: its message quotes the refused line, which may be a token.
            log.info("request refused before routing: %s (%s)", code, code_status)
        response = problem(code_status, code, title, detail)
        headers.secure(response.headers, "/api/", production=self.production)
        response.force_close()
        return response


class ProblemServer(web.Server):
    """A `web.Server` whose connections are `ProblemRequestHandler`s."""

    def __init__(self, *args: Any, production: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.production = production

    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(
            self, loop=self._loop, production=self.production, **self._kwargs
        )


class ProblemAppRunner(web.AppRunner):
    """`web.AppRunner` serving through a `ProblemServer`."""

    def __init__(self, app: web.Application, *, production: bool = False, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.production = production

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()  # freezes the app, applies its handler_args
        return ProblemServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            production=self.production,
            **made._kwargs,
        )


def run(
    app: web.Application,
    *,
    host: str,
    port: int,
    production: bool,
    loop: asyncio.AbstractEventLoop,
    shutdown_timeout: float,
) -> None:
    """`web.run_app` through a `ProblemAppRunner`: serve until SIGINT or SIGTERM, then stop
    accepting, finish what is in flight for up to `shutdown_timeout` seconds and clean up."""
    runner = ProblemAppRunner(
        app,
        production=production,
        handle_signals=True,  # SIGINT and SIGTERM raise web.GracefulExit out of the loop
        shutdown_timeout=shutdown_timeout,
        access_log=None,
    )

    async def serve() -> None:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info("Running on %s", site.name)
        await asyncio.Event().wait()

    asyncio.set_event_loop(loop)
    main = loop.create_task(serve())
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        main.cancel()
        with contextlib.suppress(asyncio.CancelledError, web.GracefulExit):
            loop.run_until_complete(main)
        loop.run_until_complete(runner.cleanup())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
