"""How `docs/protocol.md` is written from the declarations in `signalling/protocol.py`.

A namespace is declared as a `Namespace` listing its connect rules and events; incoming payloads
are pydantic models (their fields' `description`s become the table), outgoing ones `TypedDict`s
whose fields carry a `Doc`. `NotRequired` fields are marked optional.
"""

from __future__ import annotations

import json
import textwrap
import types
import typing
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired, get_args, get_origin

from pydantic import BaseModel

from realtime.errors import Code

Errors = tuple[tuple[Code, str], ...]


@dataclass(frozen=True)
class Doc:
    """The meaning of a field of an outgoing payload, for the generated document."""

    text: str


@dataclass(frozen=True)
class ClientEvent:
    name: str
    summary: str
    payload: type[BaseModel]
    example: dict[str, Any]
    ack: type
    errors: Errors = ()


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
    auth: type[BaseModel]
    connect_errors: Errors
    client_events: tuple[ClientEvent, ...]
    server_events: tuple[ServerEvent, ...]
    auth_required: bool = False


def document(
    preamble: str,
    common_errors: Errors,
    refusals: str,
    namespaces: tuple[Namespace, ...],
    shared: tuple[type, ...],
) -> str:
    """The protocol document: preamble, the namespaces, then every shape they name."""
    out = [preamble, _errors(common_errors), "\n", refusals]
    shapes: dict[str, type] = {}
    for namespace in namespaces:
        out.append(_namespace(namespace, shapes))
    out.append("## Shared shapes\n\n")
    pending = [*shapes.values(), *shared]
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
    optional = "required" if namespace.auth_required else "optional"
    out.append(f"`auth` ({optional}):\n\n{_model(namespace.auth, shapes)}\n")
    out.append("Refused with `connect_error` when:\n\n")
    out.append(_errors(namespace.connect_errors) + "\n")
    out.append("### Client events\n\n")
    for event in namespace.client_events:
        out.append(f"#### `{event.name}`\n\n{_wrap(event.summary)}\n\n")
        out.append(_model(event.payload, shapes) + "\n")
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


def _errors(errors: Errors) -> str:
    return "".join(f"- `{code}`: {when}\n" for code, when in errors)


def _model(model: type[BaseModel], shapes: dict[str, type]) -> str:
    rows = ["| field | type | required | meaning |\n|---|---|---|---|\n"]
    for name, info in model.model_fields.items():
        required = "yes" if info.is_required() else "no"
        rows.append(f"| `{info.alias or name}` | {_type(info.annotation, shapes)} | {required} ")
        rows.append(f"| {info.description or ''} |\n")
    return "".join(rows)


def _typed_dict(shape: type, nested: dict[str, type]) -> str:
    if issubclass(shape, BaseModel):
        return _model(shape, nested)
    rows = ["| field | type | meaning |\n|---|---|---|\n"]
    for name, hint in typing.get_type_hints(shape, include_extras=True).items():
        optional = get_origin(hint) is NotRequired
        if optional:
            hint = get_args(hint)[0]
        meaning = next(a.text for a in getattr(hint, "__metadata__", ()) if isinstance(a, Doc))
        written = _type(hint, nested) + (" (optional)" if optional else "")
        rows.append(f"| `{name}` | {written} | {meaning} |\n")
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
    if typing.is_typeddict(hint) or (isinstance(hint, type) and issubclass(hint, BaseModel)):
        nested[hint.__name__] = hint
        return f"`{hint.__name__}`"
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    names |= {uuid.UUID: "string (UUID)", datetime: "string (ISO 8601)", type(None): "null"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))
