"""The built web client is served at `/`, client routes get the page, server paths stay the
server's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from realtime.app import create_app
from tests.conftest import FAST_PASSWORDS, AiohttpClient
from tests.support.clock import FakeClock
from tests.support.stacks import METRICS_AUTH, Stack

PAGE = "<!doctype html><title>Flourish</title><script type=module src=/assets/app-1.js></script>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text(PAGE)
    (built / "assets" / "app-1.js").write_text("console.log('hi')")
    (built / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return built


async def serve(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> TestClient[Any, Any]:
    settings = embedded_stack.settings_for(tmp_path)
    app = create_app(settings, clock=FakeClock(), passwords=FAST_PASSWORDS, client_dist=dist)
    return await aiohttp_client(app)


async def test_client_routes_get_the_page_uncached_with_a_policy(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, dist)
    for path in ("/", "/sessions", "/coaches/3f2b8f9e-5a53-4b8e-9a55-0c6b2f1d7e41"):
        response = await client.get(path)
        assert response.status == 200, path
        assert await response.text() == PAGE
        assert response.headers["Cache-Control"] == "no-cache"
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        policy = dict(
            part.strip().split(" ", 1)
            for part in response.headers["Content-Security-Policy"].split(";")
        )
        # Its own origin only (and Stripe's API): no websocket to anywhere else.
        assert policy["connect-src"] == "'self' https://api.stripe.com"


async def test_built_files_are_served_and_hashed_assets_cached(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, dist)
    asset = await client.get("/assets/app-1.js")
    assert asset.status == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert (await client.get("/favicon.svg")).status == 200
    assert (await client.get("/assets/gone-2.js")).status == 404
    for escape in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"):
        assert "outside the build" not in await (await client.get(escape)).text()


async def test_server_paths_are_never_shadowed(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, dist)
    assert (await client.get("/healthz")).status == 200
    missing = await client.get("/api/no-such-thing")
    assert missing.status == 404
    assert missing.content_type == "application/problem+json"
    assert (await missing.json())["code"] == "not_found"
    assert (await client.get("/api/openapi.json")).status == 200
    assert (await client.get("/metrics", headers=METRICS_AUTH)).status == 200


async def test_an_unbuilt_client_says_how_to_build_it(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, tmp_path / "missing")
    response = await client.get("/")
    assert response.status == 503
    assert "scripts/serve" in await response.text()


async def test_any_method_on_an_unknown_api_path_is_still_a_404(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, dist)
    for method in ("GET", "POST", "DELETE"):
        for path in ("/api/nowhere", "/api", "/socket.io/x", "/metrics/x"):
            response = await client.request(method, path)
            assert response.status == 404, (method, path)
            assert response.content_type == "application/problem+json"
    assert (await client.get("/apis-are-not-reserved")).status == 200


async def test_paths_no_file_can_have_are_a_404_not_a_500(
    aiohttp_client: AiohttpClient, embedded_stack: Stack, tmp_path: Path, dist: Path
) -> None:
    client = await serve(aiohttp_client, embedded_stack, tmp_path, dist)
    # A NUL (ValueError in pathlib) and a name longer than the system allows (OSError).
    for path in ("/%00", "/assets/app%00.js", "/favicon%00.svg", "/" + "a" * 300 + ".js"):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.content_type == "application/problem+json", path
