"""Every socket.io handler answers: validate, run, and turn any failure into an error ack.

python-socketio sends no ack when a handler raises, and the client then waits forever; the
`answers` wrapper makes that impossible. Handlers return one dict (a tuple would become several
ack arguments).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from realtime.errors import AppError, Code
from realtime.http import field_errors

log = logging.getLogger(__name__)

P = TypeVar("P", bound=BaseModel)
Ack = dict[str, Any]
Handler = Callable[[str, P], Awaitable[Ack]]
Answering = Callable[[str, object], Awaitable[Ack]]


def ok(**fields: Any) -> Ack:
    return {"ok": True, **fields}


def error_ack(code: Code | str, message: str) -> Ack:
    return {"ok": False, "error": {"code": str(code), "message": message}}


def answers(schema: type[P]) -> Callable[[Handler[P]], Answering]:
    def wrap(handler: Handler[P]) -> Answering:
        @functools.wraps(handler)
        async def run(sid: str, raw: object = None) -> Ack:
            try:
                payload = schema.model_validate({} if raw is None else raw)
            except ValidationError as exc:
                first = field_errors(exc)[0]
                return error_ack(Code.BAD_PAYLOAD, f"{first.field}: {first.message}")
            try:
                return await handler(sid, payload)
            except AppError as exc:
                log.info("%s refused: %s", handler.__name__, exc.code)
                return error_ack(exc.code, exc.message)
            except Exception:
                log.exception("%s failed", handler.__name__)
                return error_ack(Code.INTERNAL, "Something went wrong on our side.")

        return run

    return wrap
