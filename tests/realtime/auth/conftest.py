"""Fixtures for the accounts tests: apps with changed settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from realtime.app import create_app
from realtime.settings import Settings
from tests.conftest import FAST_PASSWORDS, AiohttpClient
from tests.support.clock import FakeClock

ClientWith = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def client_with(aiohttp_client: AiohttpClient, settings: Settings, clock: FakeClock) -> ClientWith:
    """A client of an app whose settings differ from the test's by the given fields."""

    async def make(**changes: Any) -> TestClient[Any, Any]:
        app = create_app(replace(settings, **changes), clock=clock, passwords=FAST_PASSWORDS)
        return await aiohttp_client(app)

    return make
