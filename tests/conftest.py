"""Shared fixtures: both stacks, an app on a real socket, a fake clock, a cheap password hash."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from realtime.app import SERVICES, create_app
from realtime.auth.passwords import Passwords
from realtime.settings import Settings
from realtime.wiring import Services
from tests.support.clock import FakeClock
from tests.support.smtp import Inbox, smtp_server
from tests.support.stacks import Stack, drop_production, make_embedded, make_production

AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]

# Argon2id with the smallest cost: the algorithm is the same, the tests are fast.
FAST_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def embedded_stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    return make_embedded(tmp_path_factory.mktemp("embedded"))


@pytest.fixture(scope="session")
def production_stack() -> Iterator[Stack]:
    stack = make_production()
    yield stack
    drop_production(stack)


@pytest.fixture(params=["embedded", "production"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """Each test using this runs twice: SQLite + in-process, PostgreSQL + Redis."""
    fixture: Stack = request.getfixturevalue(f"{request.param}_stack")
    return fixture


@pytest.fixture
def settings(stack: Stack, tmp_path: Path) -> Settings:
    """Settings for a fresh, migrated, empty database on the test's stack."""
    return stack.settings_for(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, clock: FakeClock) -> web.Application:
    return create_app(settings, clock=clock, passwords=FAST_PASSWORDS)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, app: web.Application) -> TestClient[Any, Any]:
    return await aiohttp_client(app)


@pytest.fixture
def services(app: web.Application, client: TestClient[Any, Any]) -> Services:
    """The running app's services (the client fixture has started it)."""
    return app[SERVICES]


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    """A real SMTP server (aiosmtpd) on loopback, and every message it accepted."""
    async with smtp_server() as server:
        yield server
