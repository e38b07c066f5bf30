"""Every socket.io handler answers: validate, run, and turn any failure into an error ack.

python-socketio sends no ack when a handler raises, and the client then waits forever; the
`answers` wrapper makes that impossible. Handlers return one dict (a tuple would become several
ack arguments). A namespace whose clients often send without an ack (`/session`'s `signal`)
passes `told`, which also tells the socket of each refusal as an event.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from socketio import exceptions as socketio_errors

from realtime.errors import AppError, Code
from realtime.http import field_errors

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)
Ack = dict[str, Any]
Handler = Callable[[str, P], Awaitable[Ack]]
Answering = Callable[[str, object], Awaitable[Ack]]
# (sid, event, error ack): tell the socket of a refusal.
Told = Callable[[str, str, Ack], Awaitable[None]]


def ok(**fields: Any) -> Ack:
    return {"ok": True, **fields}


def error_ack(code: Code | str, message: str) -> Ack:
    return {"ok": False, "error": {"code": str(code), "message": message}}


def invalid(exc: ValidationError) -> Ack:
    """The error ack for a payload that failed validation: an over-long field is
    `payload_too_large`, anything else `bad_payload`, naming the first bad field."""
    first = field_errors(exc)[0]
    too_long = exc.errors(include_url=False)[0]["type"] == "string_too_long"
    return error_ack(
        Code.PAYLOAD_TOO_LARGE if too_long else Code.BAD_PAYLOAD, f"{first.field}: {first.message}"
    )


def answers(schema: type[P], told: Told | None = None) -> Callable[[Handler[P]], Answering]:
    def wrap(handler: Handler[P]) -> Answering:
        async def answer(sid: str, raw: object) -> Ack:
            try:
                payload = schema.model_validate({} if raw is None else raw)
            except ValidationError as exc:
                return invalid(exc)
            try:
                return await handler(sid, payload)
            except AppError as exc:
                log.info("%s refused: %s", handler.__name__, exc.code)
                return error_ack(exc.code, exc.message)
            except Exception:
                log.exception("%s failed", handler.__name__)
                return error_ack(Code.INTERNAL, "Something went wrong on our side.")

        @functools.wraps(handler)
        async def run(sid: str, raw: object = None) -> Ack:
            ack = await answer(sid, raw)
            if told is not None and not ack["ok"]:
                await told(sid, handler.__name__, ack)
            return ack

        return run

    return wrap


def refused(code: Code | str, message: str) -> socketio_errors.ConnectionRefusedError:
    """What the client's `connect_error` gets: `{message, data: {code, message}}`."""
    return socketio_errors.ConnectionRefusedError(message, {"code": str(code), "message": message})
