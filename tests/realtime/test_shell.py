"""The app shell: health, readiness, metrics, OpenAPI, problem responses, request ids."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.support.stacks import METRICS_AUTH


async def test_healthz_answers(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json()) == {"status": "ok"}


async def test_readyz_checks_database_and_live_state(client: TestClient[Any, Any]) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["checks"] == {"database": "ok", "live_state": "ok"}


async def test_unknown_path_is_a_problem(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/nowhere")
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["code"] == "not_found"
    assert "/api/nowhere" in body["detail"]
    assert body["instance"] == f"urn:request:{response.headers['X-Request-Id']}"


async def test_caller_request_id_is_echoed(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"


async def test_metrics_count_requests_by_route(client: TestClient[Any, Any]) -> None:
    await client.get("/healthz")
    text = await (await client.get("/metrics", headers=METRICS_AUTH)).text()
    assert 'flourish_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text


async def test_openapi_document_is_served(client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"] == "3.1.0"
    assert "Problem" in document["components"]["schemas"]
