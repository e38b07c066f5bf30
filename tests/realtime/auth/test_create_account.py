"""`create_account`, the path `flourish create-admin` takes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from realtime.auth.models import Role
from realtime.auth.service import AccountError, create_account
from realtime.wiring import Services
from tests.realtime.auth.flows import PASSWORD, login


async def _create(services: Services, email: str, password: str = PASSWORD) -> Any:
    return await create_account(
        services.db,
        services.passwords,
        services.clock,
        email=email,
        password=password,
        display_name="Root",
        role=Role.ADMIN,
    )


async def test_an_admin_made_here_can_log_in(
    client: TestClient[Any, Any], services: Services
) -> None:
    user = await _create(services, " Root@Example.org ")
    assert user.email == "root@example.org"
    status, body = await login(client, "root@example.org")
    assert (status, body["user"]["role"]) == (200, "admin")


async def test_refusals_say_what_is_wrong(services: Services) -> None:
    await _create(services, "root@example.org")
    with pytest.raises(AccountError, match="already exists"):
        await _create(services, "ROOT@example.org")
    with pytest.raises(AccountError, match=r"^password: must be 12 to 128 characters"):
        await _create(services, "other@example.org", "short")
    with pytest.raises(AccountError, match=r"^email: not a valid email address"):
        await _create(services, "root")
