"""The OpenAPI document covers every API route, from the same models that validate requests."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient


async def test_every_api_route_is_documented(
    client: TestClient[Any, Any], app: web.Application
) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
        and route.resource.canonical != "/api/openapi.json"
    }
    assert served - documented == set()
    assert documented - served == set()


async def test_each_operation_names_its_responses(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["summary"], (method, path)
            assert any(code.startswith("2") for code in operation["responses"]), (method, path)
            validated = [p for p in operation.get("parameters", []) if p["in"] == "query"]
            if "requestBody" in operation or validated:
                assert "422" in operation["responses"], (method, path)


async def test_schema_references_resolve(client: TestClient[Any, Any]) -> None:
    document = await (await client.get("/api/openapi.json")).json()
    schemas = document["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
