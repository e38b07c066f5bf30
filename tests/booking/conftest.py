"""Fixtures for the coach-side tests: an admin, a client and a coach account."""

from __future__ import annotations

import pytest

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import Caller, make_user


@pytest.fixture
async def admin(services: Services) -> Caller:
    return await make_user(services, Role.ADMIN, "Ada Admin")


@pytest.fixture
async def member(services: Services) -> Caller:
    """A client account."""
    return await make_user(services, Role.CLIENT, "Cleo Client")


@pytest.fixture
async def coach(services: Services) -> Caller:
    """A coach account that has not applied yet."""
    return await make_user(services, Role.COACH, "Dr Ann Lee")
