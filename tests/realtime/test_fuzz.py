"""Every declared route, fed extreme values, answers a 4xx problem+json or succeeds: never a
500, never plain text.

A deterministic table rather than random search: for each route, a plausible input is made
from its model's JSON schema, then each field in turn (and every path parameter) is replaced
by each extreme value: huge and negative integers, floats, years 1 and 9999 at the far
offsets, NUL and other control characters, long strings, wrong types. Each route is called by
a caller of the role it declares, so the handlers run past their access checks.
"""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import pytest
from aiohttp import web

from realtime.auth.models import Role
from realtime.http import OPERATIONS, Operation
from tests.booking.api.test_holds import WEEKDAYS
from tests.booking.api.test_payment import booked
from tests.booking.support import Caller, Client, listed_coach, make_user

LONG = "a" * 20_000
# Extreme values for a body field (any JSON) and for a query field (text).
BODY_EXTREMES: list[Any] = [
    2**63,
    -(2**63),
    10**40,
    -1,
    1.5e308,
    0.1,
    "",
    "\x00",
    "x\x00y",
    "\u202e\u200b\x1b[31m",
    LONG,
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31",
    "0001-01-01",
    None,
    [],
    {},
    True,
    [LONG] * 5,
]
QUERY_EXTREMES = [
    "9" * 40,
    "-99999999999999999999",
    "",
    "\x00",
    "\u202e",
    "a" * 2000,
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31",
    "0001-01-01",
    "true",
    "[]",
]
PATH_EXTREMES = ["\x00", "a" * 2000, "-1", "9" * 40, "%2e%2e", str(uuid.uuid4())]
PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def sample(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A plausible value for a JSON schema."""
    if "$ref" in schema:
        return sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for combo in ("anyOf", "oneOf", "allOf"):
        if combo in schema:
            options = [s for s in schema[combo] if s.get("type") != "null"] or schema[combo]
            return sample(options[0], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample(sub, defs) for name, sub in props.items()}
    if kind == "array":
        item = sample(schema.get("items", {}), defs)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date-time":
            return "2026-03-10T13:00:00Z"
        if fmt == "date":
            return "2027-03-10"
        if fmt == "email":
            return "fuzz@example.org"
        return "x" * max(1, schema.get("minLength", 1))
    return "x"


def inputs(op: Operation, known: dict[str, Any]) -> list[dict[str, Any]]:
    """The plausible input (real ids where its fields name one), then it with each field
    replaced by each extreme."""
    schema = op.input.model_json_schema()
    base = sample({**schema, "type": "object"}, schema.get("$defs", {}))
    base.update({name: known[name] for name in base if name in known})
    extremes = BODY_EXTREMES if op.input_in == "body" else QUERY_EXTREMES
    made = [base]
    for name, value in itertools.product(list(base) or [], extremes):
        made.append({**base, name: value})
    if op.input_in == "body":
        made += [{"unexpected": value} for value in BODY_EXTREMES[:6]]
    return made


def paths(op: Operation, known: dict[str, Any]) -> list[str]:
    """The route with its parameters filled: a real id where one is known, then extremes."""
    names = PARAM.findall(op.path)
    if not names:
        return [op.path]

    def filled(value_of: dict[str, str]) -> str:
        return PARAM.sub(lambda m: value_of[m.group(1)], op.path)

    noun = "booking_id" if "/bookings/{id}" in op.path else "coach_id"
    plain = {name: str(known.get(noun if name == "id" else name, uuid.uuid4())) for name in names}
    made = [filled(plain)]
    for name, value in itertools.product(names, PATH_EXTREMES):
        made.append(filled({**plain, name: value.replace("\x00", "%00")}))
    return made


def query_string(data: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else str(v).lower() for k, v in data.items()}


async def call(
    client: Client, op: Operation, path: str, data: dict[str, Any], caller: Caller | None
) -> tuple[int, str]:
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    if caller is not None:
        headers.update(caller.headers)
    if op.input_in == "body":
        response = await client.request(op.method, path, json=data, headers=headers)
    else:
        response = await client.request(op.method, path, params=query_string(data), headers=headers)
    await response.read()
    return response.status, response.content_type


@pytest.mark.timeout(900)
async def test_no_route_answers_500_or_plain_text(
    client: Client, app: web.Application, services: Any
) -> None:
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    coach, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    booking = await booked(client, member, coach_id)  # confirmed: it can be moved
    callers: dict[str, Caller | None] = {
        "public": None,
        "user": member,
        "client": member,
        "coach": coach,
        "admin": admin,
    }
    # Real ids, and what the coach offers, so a field's extreme is what gets refused.
    known = {
        "coach_id": coach_id,
        "booking_id": booking["id"],
        "session_type": "video",
        "duration": 50,
    }
    failures: list[str] = []
    # Cancelling ends the booking and logging out the callers' sessions: those routes go last.
    last = ("cancel", "logout")
    operations: list[Operation] = app[OPERATIONS]
    for op in sorted(operations, key=lambda op: [word in op.path for word in last]):
        caller = callers[op.access]
        for path, data in itertools.product(paths(op, known), inputs(op, known)[:1]):
            status, kind = await call(client, op, path, data, caller)
            if status >= 500 or (status >= 400 and kind != "application/problem+json"):
                failures.append(f"{op.method} {path[:80]} -> {status} {kind}")
        for data in inputs(op, known):
            status, kind = await call(client, op, paths(op, known)[0], data, caller)
            if status >= 500 or (status >= 400 and kind != "application/problem+json"):
                shown = {k: (v[:40] if isinstance(v, str) else v) for k, v in data.items()}
                failures.append(f"{op.method} {op.path} {str(shown)[:160]} -> {status} {kind}")
    assert failures == []
