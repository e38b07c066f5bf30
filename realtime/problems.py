"""Every HTTP error leaves as `application/problem+json` (RFC 9457).

Fields: `type`, `title`, `status`, `detail`, `code` (a stable `Code`), `instance` (the request
id) and, on validation failures, `errors` (`[{field, message}]`). Unexpected exceptions are
logged with the request id and answered with a generic 500 that reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from realtime.errors import AppError, Code, PayloadTooLarge
from realtime.logs import REQUEST_ID

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://docs.flourish.example/errors#"
CONTENT_TYPE = "application/problem+json"

_HTTP_CODES = {
    400: Code.BAD_REQUEST,
    401: Code.UNAUTHENTICATED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    405: Code.METHOD_NOT_ALLOWED,
    413: Code.BODY_TOO_LARGE,
    415: Code.UNSUPPORTED_MEDIA_TYPE,
    429: Code.RATE_LIMITED,
}


def problem(
    status: int,
    code: Code | str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    request: web.Request | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + str(code),
        "title": title,
        "status": status,
        "detail": detail,
        "code": str(code),
    }
    if request is not None and REQUEST_ID in request:
        body["instance"] = f"urn:request:{request[REQUEST_ID]}"
    if errors:
        body["errors"] = errors
    return web.Response(
        status=status, body=orjson.dumps(body), content_type=CONTENT_TYPE, headers=headers
    )


def from_app_error(exc: AppError, request: web.Request | None = None) -> web.Response:
    return problem(
        exc.status,
        exc.code,
        exc.title,
        exc.message,
        errors=[{"field": e.field, "message": e.message} for e in exc.errors] or None,
        headers=exc.headers or None,
        request=request,
    )


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AppError as exc:
        return from_app_error(exc, request)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app._client_max_size
        return from_app_error(
            PayloadTooLarge(
                Code.BODY_TOO_LARGE, f"The request body is larger than the {limit} bytes accepted."
            ),
            request,
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, Code.BAD_REQUEST)
        detail = _detail_for(exc, request)
        return problem(
            exc.status, code, exc.reason, detail, headers=_keep_headers(exc), request=request
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(
            500,
            Code.INTERNAL,
            "Internal server error",
            "Something went wrong on our side; the request id identifies it in our logs.",
            request=request,
        )


def _detail_for(exc: web.HTTPException, request: web.Request) -> str:
    if exc.status == 404:
        return f"No resource at {request.path}."
    if exc.status == 405:
        allowed = ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}."
    return exc.text or exc.reason


def _keep_headers(exc: web.HTTPException) -> dict[str, str] | None:
    kept = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
    return kept or None
