"""Headers on every answer: no-store on the API, nosniff everywhere, HSTS in production, no
version in `Server`; `/metrics` only for its bearer token."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from realtime.app import create_app
from realtime.settings import Environment, Settings
from tests.conftest import FAST_PASSWORDS, AiohttpClient
from tests.realtime.auth.flows import register
from tests.support.clock import FakeClock
from tests.support.stacks import METRICS_AUTH, METRICS_TOKEN, Stack


async def serve(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient[Any, Any]:
    app = create_app(settings, clock=FakeClock(), passwords=FAST_PASSWORDS)
    return await aiohttp_client(app)


async def test_api_answers_are_never_stored_and_never_sniffed(
    client: TestClient[Any, Any],
) -> None:
    account = {"email": "nell@example.org", "password": "correct horse battery"}
    registered = await client.post(
        "/api/auth/register", json={**account, "display_name": "Nell", "role": "client"}
    )
    assert registered.status == 202
    tokens = await client.post("/api/auth/login", json=account)
    assert tokens.status == 200
    answers = [
        registered,
        tokens,
        await client.get("/api/me", headers={"Authorization": "Bearer nonsense"}),
        await client.get("/api/no-such-route"),
        await client.get("/api/openapi.json"),
        await client.get("/metrics", headers=METRICS_AUTH),
    ]
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store", answer.url
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url


async def test_every_answer_names_no_server_version(client: TestClient[Any, Any]) -> None:
    for path in ("/healthz", "/api/openapi.json", "/api/nowhere", "/"):
        answer = await client.get(path)
        assert answer.headers["Server"] == "flourish", path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path


async def test_hsts_only_in_production(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path
) -> None:
    settings = embedded_stack.settings_for(tmp_path)
    development = await serve(aiohttp_client, settings)
    assert "Strict-Transport-Security" not in (await development.get("/healthz")).headers
    production = await serve(aiohttp_client, replace(settings, env=Environment.PRODUCTION))
    for path in ("/healthz", "/api/openapi.json", "/"):
        hsts = (await production.get(path)).headers["Strict-Transport-Security"]
        assert hsts.startswith("max-age=63072000"), path


async def test_metrics_answers_only_its_bearer_token(client: TestClient[Any, Any]) -> None:
    assert (await client.get("/metrics", headers=METRICS_AUTH)).status == 200
    for given in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        refused = await client.get("/metrics", headers=given)
        assert refused.status == 401, given
        assert refused.content_type == "application/problem+json"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "flourish_http_requests" not in await refused.text()


async def test_metrics_without_a_token_does_not_exist(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack.settings_for(tmp_path, metrics_token=""))
    for given in ({}, METRICS_AUTH, {"Authorization": "Bearer "}):
        answer = await client.get("/metrics", headers=given)
        assert answer.status == 404
        assert (await answer.json())["code"] == "not_found"


async def test_a_login_answer_with_tokens_is_not_stored(client: TestClient[Any, Any]) -> None:
    await register(client)
    login = await client.post(
        "/api/auth/login", json={"email": "ann@example.org", "password": "correct horse battery"}
    )
    assert login.status == 200
    assert login.headers["Cache-Control"] == "no-store"
