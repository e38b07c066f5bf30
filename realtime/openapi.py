"""The OpenAPI 3.1 document, built from the declared routes and their pydantic models."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from realtime.http import OPERATIONS, NoInput, Operation

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem. `code` is stable; clients branch on it.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Bad request",
    401: "Not logged in, or the token is invalid or expired",
    403: "Not allowed for this caller",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Validation failed",
    429: "Too many requests",
    503: "Not ready",
}

_PARAM = re.compile(r"{(\w+)}")


# A streamed upload (`ApiRoutes.route(streamed=True)`): a title field, then the file.
_UPLOAD: dict[str, Any] = {
    "schema": {
        "type": "object",
        "required": ["title", "file"],
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "file": {"type": "string", "format": "binary"},
        },
    },
    "encoding": {"title": {"contentType": "text/plain"}},
}


def build(operations: list[Operation], *, title: str = "Flourish Realtime API") -> dict[str, Any]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for op in operations:
        if op.input is not NoInput:
            models.append((op.input, "validation"))
        for out in op.responses.values():
            if isinstance(out, type):
                models.append((out, "serialization"))
    refs, defs = models_json_schema(
        list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))
    schemas["Problem"] = PROBLEM_SCHEMA

    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        item: dict[str, Any] = {
            "operationId": op.handler.__name__,
            "summary": op.summary,
            "tags": [op.tag],
            "responses": {},
        }
        if op.description:
            item["description"] = op.description
        if op.access != "public":
            item["security"] = [{"bearer": []}]
            item["x-access"] = op.access
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(op.path)
        ]
        if op.idempotent:
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "description": "A retry with the same key returns the first answer.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                }
            )
        if op.input is not NoInput:
            ref = refs[(op.input, "validation")]
            if op.input_in == "body":
                item["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                }
                if op.streamed:
                    item["requestBody"]["content"]["multipart/form-data"] = _UPLOAD
            else:
                parameters.extend(_query_parameters(op.input, schemas))
        if parameters:
            item["parameters"] = parameters
        for status, out in op.responses.items():
            response: dict[str, Any] = {"description": _REASONS.get(status, "")}
            if isinstance(out, type):
                response["content"] = {"application/json": {"schema": refs[(out, "serialization")]}}
            elif isinstance(out, str):
                response["content"] = {out: {"schema": {"type": "string"}}}
            item["responses"][str(status)] = response
        statuses = set(op.errors)
        if op.input is not NoInput:
            statuses |= {422} | ({400, 413, 415} if op.input_in == "body" else set())
        if op.access != "public":
            statuses |= {401}
        if op.access not in ("public", "user"):
            statuses |= {403}
        for status in sorted(statuses):
            item["responses"][str(status)] = {
                "description": _REASONS.get(status, "Error"),
                "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                },
            }
        paths.setdefault(op.path, {})[op.method.lower()] = item

    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "0.1.0",
            "description": "Errors are application/problem+json (RFC 9457) with a stable `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.get("$defs", {}).items():
        schemas.setdefault(name, sub)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if "description" in prop:
            param["description"] = prop["description"]
        if prop.get("type") == "array" or any(
            p.get("type") == "array" for p in prop.get("anyOf", [])
        ):
            param["style"] = "form"
            param["explode"] = True
        params.append(param)
    return params


_DOCUMENT = web.AppKey("openapi_document", dict[str, Any])


async def prepare(app: web.Application) -> None:
    """Build the document once at start-up; the routes are fixed by then."""
    app[_DOCUMENT] = build(app[OPERATIONS])


async def openapi_endpoint(request: web.Request) -> web.Response:
    return web.json_response(request.app[_DOCUMENT])
