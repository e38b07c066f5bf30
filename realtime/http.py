"""The HTTP edge: declared routes, validated input, JSON output.

Every API route is declared with the pydantic models that validate its input and describe its
output; `realtime/openapi.py` builds the OpenAPI document from the same declarations, so the
document cannot drift from what the server accepts.

```python
routes = ApiRoutes(tag="auth")

@routes.post("/api/auth/login", body=LoginIn, responses={200: TokenPair}, summary="Log in")
async def login(request: web.Request, body: LoginIn) -> web.StreamResponse: ...
```

Handlers receive the validated body (POST, PUT, PATCH) or query (GET, DELETE) as their second
argument; routes without input receive `NoInput`.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import orjson
from aiohttp import web
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from realtime import idempotency
from realtime.auth.access import require
from realtime.errors import (
    BadRequest,
    Code,
    FieldError,
    NotFound,
    UnsupportedMediaType,
    ValidationFailed,
)
from realtime.health import DATABASE
from realtime.metrics import CLOCK

# Times a request may name: far enough either way for anything real, near enough that adding a
# hold's minutes or a year of slots never leaves the calendar (year 9999 + 10 minutes is an
# OverflowError, which would be a 500).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_RANGE = f"from {EARLIEST.year} to {LATEST.year - 1}"


def bounded(value: datetime | date) -> datetime | date:
    """A time or date within EARLIEST..LATEST, or a validation error (never an overflow)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        within = EARLIEST.replace(tzinfo=None) <= value < LATEST.replace(tzinfo=None)
    elif isinstance(value, datetime):
        try:
            within = EARLIEST <= value.astimezone(UTC) < LATEST
        except OverflowError:  # year 1 at +14:00, year 9999 at -12:00
            within = False
    else:
        within = EARLIEST.date() <= value < LATEST.date()
    if not within:
        raise PydanticCustomError("out_of_range", f"must be in the years {_RANGE}")
    return value


# An instant with a UTC offset, within the years the server handles.
Instant = Annotated[AwareDatetime, AfterValidator(bounded)]
# A calendar date within the same years.
Day = Annotated[date, AfterValidator(bounded)]


class Input(BaseModel):
    """Base of every request model: unknown fields are refused, never ignored, and no text
    may hold a NUL character (PostgreSQL cannot store one; nobody types one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise PydanticCustomError("nul_character", "text must not contain NUL characters")
        return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class Output(BaseModel):
    """Base of every response model."""

    model_config = ConfigDict(from_attributes=True)


class NoInput(Input):
    """A route that takes neither body nor query parameters."""


In = TypeVar("In", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TypedHandler = Callable[[web.Request, In], Awaitable[web.StreamResponse]]
Access = Literal["public", "user", "client", "coach", "admin"]
# False, or how `Idempotency-Key` is honoured (realtime.idempotency): True claims the key before
# the work; "in_transaction" has the handler record its answer in the work's own transaction.
Idempotent = bool | Literal["in_transaction"]


@dataclass(frozen=True)
class Operation:
    """One documented route."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    input: type[BaseModel]
    responses: dict[int, type[BaseModel] | str | None]
    access: Access
    errors: tuple[int, ...]
    description: str = ""
    idempotent: Idempotent = False
    streamed: bool = False

    @property
    def input_in(self) -> Literal["body", "query"]:
        return "body" if self.method in ("POST", "PUT", "PATCH") else "query"


@dataclass
class ApiRoutes:
    """A table of declared routes, like aiohttp's `RouteTableDef`, that OpenAPI reads."""

    tag: str
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        input: type[In],
        responses: dict[int, type[BaseModel] | str | None],
        access: Access = "user",
        errors: Sequence[int] = (),
        description: str = "",
        idempotent: Idempotent = False,
        streamed: bool = False,
    ) -> Callable[[TypedHandler[In]], TypedHandler[In]]:
        """`streamed`: a `multipart/form-data` body (or a form, which telephony webhooks post)
        is left for the handler to read (it gets None as its input); any other body is
        validated as usual."""

        def register(handler: TypedHandler[In]) -> TypedHandler[In]:
            location = "body" if method in ("POST", "PUT", "PATCH") else "query"

            async def run(request: web.Request) -> web.StreamResponse:
                if streamed and request.content_type in HANDLER_READS:
                    data = typing.cast(In, None)
                elif location == "body":
                    data = await read_body(request, input)
                else:
                    data = read_query(request, input)
                key = idempotency.key_of(request) if idempotent else None
                if key is None:
                    return await handler(request, data)
                caller = await require(request)
                run_once = (
                    idempotency.in_transaction
                    if idempotent == "in_transaction"
                    else idempotency.once
                )
                return await run_once(
                    request,
                    request.app[DATABASE],
                    request.app[CLOCK],
                    caller.user_id,
                    key,
                    lambda: handler(request, data),
                )

            run.__name__ = handler.__name__
            run.__doc__ = handler.__doc__
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    handler=run,
                    summary=summary,
                    tag=self.tag,
                    input=input,
                    responses=responses,
                    access=access,
                    errors=tuple(errors),
                    description=description or (handler.__doc__ or "").strip(),
                    idempotent=idempotent,
                    streamed=streamed,
                )
            )
            return handler

        return register

    def get(self, path: str, **kw: Any) -> Callable[[TypedHandler[Any]], TypedHandler[Any]]:
        return self.route("GET", path, **_with_default_input(kw))

    def post(self, path: str, **kw: Any) -> Callable[[TypedHandler[Any]], TypedHandler[Any]]:
        return self.route("POST", path, **_with_default_input(kw))

    def put(self, path: str, **kw: Any) -> Callable[[TypedHandler[Any]], TypedHandler[Any]]:
        return self.route("PUT", path, **_with_default_input(kw))

    def patch(self, path: str, **kw: Any) -> Callable[[TypedHandler[Any]], TypedHandler[Any]]:
        return self.route("PATCH", path, **_with_default_input(kw))

    def delete(self, path: str, **kw: Any) -> Callable[[TypedHandler[Any]], TypedHandler[Any]]:
        return self.route("DELETE", path, **_with_default_input(kw))


def _with_default_input(kw: dict[str, Any]) -> dict[str, Any]:
    kw.setdefault("input", NoInput)
    return kw


OPERATIONS = web.AppKey("operations", list[Operation])


def add_routes(app: web.Application, *tables: ApiRoutes) -> None:
    """Register the tables' routes on the app and remember them for the OpenAPI document."""
    if OPERATIONS not in app:
        app[OPERATIONS] = []
    for table in tables:
        for op in table.operations:
            app.router.add_route(op.method, op.path, op.handler)
            app[OPERATIONS].append(op)


# Bodies a `streamed` route's handler reads itself.
HANDLER_READS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


async def read_body(request: web.Request, model: type[In]) -> In:
    """The request's JSON object, validated by `model`."""
    if model is NoInput and not request.can_read_body:
        return model.model_validate({})
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            Code.UNSUPPORTED_MEDIA_TYPE,
            f"Send the body as application/json, not {request.content_type or 'nothing'}.",
        )
    raw = await request.read()
    try:
        data = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise BadRequest(Code.MALFORMED_JSON, f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(Code.MALFORMED_JSON, "The body must be a JSON object.")
    return validate(model, data)


def read_query(request: web.Request, model: type[In]) -> In:
    """The query string, validated by `model`. A list field takes repeated or comma-separated
    values (`?language=en&language=fr` or `?language=en,fr`)."""
    data: dict[str, Any] = {}
    for key in set(request.query.keys()):
        values = request.query.getall(key)
        info = model.model_fields.get(key)
        if info is not None and _is_list(info.annotation):
            data[key] = [part for v in values for part in v.split(",") if part]
        elif len(values) > 1:
            raise ValidationFailed([FieldError(key, "given more than once")])
        else:
            data[key] = values[0]
    return validate(model, data)


def validate(model: type[In], data: object) -> In:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "(body)"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        errors.append(FieldError(path, message))
    return errors


def _is_list(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return False


def respond(model: BaseModel | Sequence[BaseModel] | None, status: int = 200) -> web.Response:
    """A JSON response from an output model (or 204 with no body for None)."""
    if model is None:
        return web.Response(status=204)
    if isinstance(model, BaseModel):
        body = model.model_dump_json(by_alias=True).encode()
    else:
        body = orjson.dumps([m.model_dump(mode="json", by_alias=True) for m in model])
    return web.Response(status=status, body=body, content_type="application/json")


def path_param(request: web.Request, name: str) -> str:
    """A path parameter as text; one holding a NUL names nothing (and PostgreSQL could not
    even compare it), so it is a 404."""
    raw = request.match_info[name]
    if "\x00" in raw:
        raise NotFound(Code.NOT_FOUND, f"No resource at {request.path!r}.")
    return raw


def uuid_param(request: web.Request, name: str = "id") -> uuid.UUID:
    """A path parameter that must be a UUID; anything else is a 404, as no such thing exists."""
    raw = request.match_info[name]
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(Code.NOT_FOUND, f"No resource at {request.path}.") from None
