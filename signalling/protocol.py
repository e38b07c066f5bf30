"""Every socket.io payload, declared once: the handlers validate with these models and
`docs/protocol.md` is generated from them (`python -m signalling.protocol > docs/protocol.md`;
a test fails when the file is stale).

Incoming payloads are pydantic models with `extra="forbid"` (socket.io hands us parsed JSON, so
UUIDs and times arrive as strings and are not `strict`); outgoing ones are `TypedDict`s, their
fields described with `Annotated[..., Doc("...")]`. A namespace is declared as a `Namespace`
listing its connect rules and events; add it to `NAMESPACES` and regenerate the document.
"""

from __future__ import annotations

import json
import sys
import textwrap
import types
import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypedDict, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

from realtime.errors import Code


@dataclass(frozen=True)
class Doc:
    """The meaning of a field of an outgoing payload, for the generated document."""

    text: str


class Incoming(BaseModel):
    """Base of every payload a client sends: unknown fields are refused, never ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Answers and errors, shared by every namespace.


class ErrorBody(TypedDict):
    code: Annotated[str, Doc("Stable error code; clients branch on it.")]
    message: Annotated[str, Doc("What went wrong, in English, for people.")]


class OkAck(TypedDict):
    ok: Annotated[Literal[True], Doc("The event was accepted.")]


class ErrorAck(TypedDict):
    ok: Annotated[Literal[False], Doc("The event was refused; nothing changed.")]
    error: Annotated[ErrorBody, Doc("Why.")]


class ConnectError(TypedDict):
    message: Annotated[str, Doc("Why the connection was refused.")]
    data: Annotated[ErrorBody, Doc("The same, with its stable code.")]


def utc_iso(moment: datetime) -> str:
    """A time as the HTTP API writes it: UTC, ISO 8601, `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# /availability: who is told when a coach's slots change.

AVAILABILITY = "/availability"
SLOTS_CHANGED = "slots:changed"
MAX_WATCHES = 20
REASONS = ("held", "booked", "released", "schedule")


class AvailabilityAuth(Incoming):
    token: str | None = Field(
        None,
        max_length=4096,
        description="An access token, as in `Authorization: Bearer`; leave out to watch "
        "anonymously.",
    )


class WatchIn(Incoming):
    coach_id: uuid.UUID = Field(description="A listed coach's id.")


class UnwatchIn(Incoming):
    coach_id: uuid.UUID = Field(description="A coach this socket watches.")


class SlotsChanged(TypedDict):
    coach_id: Annotated[str, Doc("The coach whose calendar changed (UUID).")]
    start: Annotated[
        str,
        Doc(
            "Start of the changed time, UTC ISO 8601: the session's own time (buffers "
            "excluded), or for `schedule` the time the coach's change affects."
        ),
    ]
    end: Annotated[str, Doc("End of the changed time (exclusive), UTC ISO 8601.")]
    reason: Annotated[
        str,
        Doc(
            "`held` (a client is paying for it), `booked` (paid), `released` (a hold expired or "
            "a booking was canceled or moved away) or `schedule` (the coach changed their "
            "hours); treat any other value as a change too."
        ),
    ]


# Declarations the document is generated from.


@dataclass(frozen=True)
class ClientEvent:
    name: str
    summary: str
    payload: type[Incoming]
    example: dict[str, Any]
    ack: type
    errors: tuple[tuple[Code, str], ...] = ()


@dataclass(frozen=True)
class ServerEvent:
    name: str
    summary: str
    payload: type
    example: dict[str, Any]


@dataclass(frozen=True)
class Namespace:
    path: str
    summary: str
    usage: str
    auth: type[Incoming]
    connect_errors: tuple[tuple[Code, str], ...]
    client_events: tuple[ClientEvent, ...]
    server_events: tuple[ServerEvent, ...]


COACH_ID = "3f2b8f9e-5a53-4b8e-9a55-0c6b2f1d7e41"

AVAILABILITY_NAMESPACE = Namespace(
    path=AVAILABILITY,
    summary="A client viewing a coach's calendar is told at once when a slot is held, booked "
    "or released, so nobody starts paying for a slot that just went. On an event, fetch "
    "`GET /api/coaches/{id}/slots` again for the window it names. Events reach viewers on "
    "every server process (Redis fan-out). A socket that reconnects must `watch` again.",
    usage="""\
const socket = io("/availability", { auth: { token } }); // auth is optional here
socket.on("slots:changed", ({ coach_id, start, end, reason }) => refetchSlots(coach_id));
socket.on("connect", async () => {
  const ack = await socket.emitWithAck("watch", { coach_id });
  if (!ack.ok) showError(ack.error.code, ack.error.message);
});
""",
    auth=AvailabilityAuth,
    connect_errors=(
        (Code.TOKEN_INVALID, "the token is not valid or was revoked"),
        (Code.TOKEN_EXPIRED, "the token has expired; refresh it and connect again"),
        (Code.ACCOUNT_DISABLED, "the account is disabled"),
        (Code.BAD_PAYLOAD, "`auth` is not an object with the fields above"),
    ),
    client_events=(
        ClientEvent(
            name="watch",
            summary="Start receiving `slots:changed` for this coach. Watching a coach twice is "
            f"harmless. A socket watches at most {MAX_WATCHES} coaches.",
            payload=WatchIn,
            example={"coach_id": COACH_ID},
            ack=OkAck,
            errors=(
                (Code.COACH_NOT_FOUND, "no listed coach has this id"),
                (Code.TOO_MANY_WATCHES, f"this socket already watches {MAX_WATCHES} coaches"),
            ),
        ),
        ClientEvent(
            name="unwatch",
            summary="Stop receiving events for this coach (answered `ok` even if it was not "
            "watched).",
            payload=UnwatchIn,
            example={"coach_id": COACH_ID},
            ack=OkAck,
        ),
    ),
    server_events=(
        ServerEvent(
            name=SLOTS_CHANGED,
            summary="Sent to every socket watching the coach when time in their calendar was "
            "taken or freed.",
            payload=SlotsChanged,
            example={
                "coach_id": COACH_ID,
                "start": "2026-03-10T13:00:00Z",
                "end": "2026-03-10T13:50:00Z",
                "reason": "held",
            },
        ),
    ),
)

NAMESPACES: tuple[Namespace, ...] = (AVAILABILITY_NAMESPACE,)

# Errors any event of any namespace may answer.
COMMON_ERRORS = (
    (Code.BAD_PAYLOAD, "the payload is not the object described (the message names the field)"),
    (Code.UNKNOWN_EVENT, "the namespace has no such event"),
    (Code.INTERNAL, "something failed on the server; try again"),
)

PREAMBLE = """\
# Socket.io protocol

<!-- Generated by `python -m signalling.protocol > docs/protocol.md` from
signalling/protocol.py; do not edit by hand. -->

The server speaks Socket.IO 5 (Engine.IO 4), as `socket.io-client` 4.x does, at path
`/socket.io/` on the same origin as the HTTP API. Payloads are JSON objects; ids are UUID
strings; times are UTC ISO 8601 (`2026-03-10T13:00:00Z`).

## Answers

Every client event sent with an acknowledgement callback is answered with exactly one object,
`{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}`. A refused event changes
nothing and the socket stays connected, whatever was sent. Any event may answer:

"""

REFUSALS = """\
## Refused connections

A refused connection gets `connect_error` with `{"message", "data": {"code", "message"}}`
(socket.io-client: `err.message`, `err.data.code`).

"""


def markdown(namespaces: tuple[Namespace, ...] = NAMESPACES) -> str:
    """The protocol document."""
    out = [PREAMBLE, _errors(COMMON_ERRORS), "\n", REFUSALS]
    shapes: dict[str, type] = {}
    for namespace in namespaces:
        out.append(_namespace(namespace, shapes))
    out.append("## Shared shapes\n\n")
    pending = [*shapes.values(), ErrorAck, ConnectError]
    done: set[str] = set()
    while pending:
        shape = pending.pop(0)
        if shape.__name__ in done:
            continue
        done.add(shape.__name__)
        nested: dict[str, type] = {}
        out.append(f"### `{shape.__name__}`\n\n{_typed_dict(shape, nested)}\n")
        pending.extend(nested.values())
    return "".join(out).rstrip("\n") + "\n"


def _namespace(namespace: Namespace, shapes: dict[str, type]) -> str:
    out = [f"## Namespace `{namespace.path}`\n\n{_wrap(namespace.summary)}\n\n"]
    out.append(f"```js\n{namespace.usage}```\n\n### Connecting\n\n")
    out.append(f"`auth` (optional):\n\n{_model(namespace.auth)}\n")
    out.append("Refused with `connect_error` when:\n\n")
    out.append(_errors(namespace.connect_errors) + "\n")
    out.append("### Client events\n\n")
    for event in namespace.client_events:
        out.append(f"#### `{event.name}`\n\n{_wrap(event.summary)}\n\n{_model(event.payload)}\n")
        out.append(f"```json\n{json.dumps(event.example)}\n```\n\n")
        shapes[event.ack.__name__] = event.ack
        out.append(f"Ack: `{event.ack.__name__}`")
        out.append(", or `ErrorAck` with:\n\n" + _errors(event.errors) if event.errors else "\n")
        out.append("\n")
    out.append("### Server events\n\n")
    for server_event in namespace.server_events:
        out.append(f"#### `{server_event.name}`\n\n{_wrap(server_event.summary)}\n\n")
        out.append(_typed_dict(server_event.payload, shapes) + "\n")
        out.append(f"```json\n{json.dumps(server_event.example)}\n```\n\n")
    return "".join(out)


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100, break_on_hyphens=False, break_long_words=False)


def _errors(errors: tuple[tuple[Code, str], ...]) -> str:
    return "".join(f"- `{code}`: {when}\n" for code, when in errors)


def _model(model: type[Incoming]) -> str:
    rows = ["| field | type | required | meaning |\n|---|---|---|---|\n"]
    for name, info in model.model_fields.items():
        required = "yes" if info.is_required() else "no"
        rows.append(f"| `{name}` | {_type(info.annotation, {})} | {required} ")
        rows.append(f"| {info.description or ''} |\n")
    return "".join(rows)


def _typed_dict(shape: type, nested: dict[str, type]) -> str:
    rows = ["| field | type | meaning |\n|---|---|---|\n"]
    for name, hint in typing.get_type_hints(shape, include_extras=True).items():
        meaning = next(a.text for a in getattr(hint, "__metadata__", ()) if isinstance(a, Doc))
        rows.append(f"| `{name}` | {_type(hint, nested)} | {meaning} |\n")
    return "".join(rows)


def _type(hint: Any, nested: dict[str, type]) -> str:
    """A Python annotation in the words of JSON."""
    origin = get_origin(hint)
    if origin is Annotated:
        return _type(get_args(hint)[0], nested)
    if origin is Literal:
        return " or ".join(f"`{json.dumps(v)}`" for v in get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(arg, nested) for arg in get_args(hint))
    if origin is list:
        return f"array of {_type(get_args(hint)[0], nested)}"
    if typing.is_typeddict(hint):
        nested[hint.__name__] = hint
        return f"`{hint.__name__}`"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    names |= {uuid.UUID: "string (UUID)", datetime: "string (ISO 8601)", type(None): "null"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


if __name__ == "__main__":
    sys.stdout.write(markdown())
