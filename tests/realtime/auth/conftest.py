"""Fixtures for the accounts tests: apps with changed settings, and apps that send email."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from realtime.app import SERVICES, create_app
from realtime.settings import Settings
from realtime.wiring import Services
from tests.conftest import FAST_PASSWORDS, AiohttpClient
from tests.support.clock import FakeClock
from tests.support.smtp import Inbox

ClientWith = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def client_with(aiohttp_client: AiohttpClient, settings: Settings, clock: FakeClock) -> ClientWith:
    """A client of an app whose settings differ from the test's by the given fields."""

    async def make(**changes: Any) -> TestClient[Any, Any]:
        app = create_app(replace(settings, **changes), clock=clock, passwords=FAST_PASSWORDS)
        return await aiohttp_client(app)

    return make


@dataclass
class Mailed:
    """A client of an app that sends email over SMTP to `inbox`, a real aiosmtpd server."""

    client: TestClient[Any, Any]
    services: Services
    inbox: Inbox

    async def deliver(self) -> list[EmailMessage]:
        """Run the outbox once, as the background job would; the messages that arrived."""
        before = len(self.inbox.messages)
        await self.services.outbox.send_due()
        return self.inbox.messages[before:]


MailedWith = Callable[..., Awaitable[Mailed]]


@pytest.fixture
def mailed_with(
    aiohttp_client: AiohttpClient, settings: Settings, clock: FakeClock, inbox: Inbox
) -> MailedWith:
    async def make(**changes: Any) -> Mailed:
        smtp = {
            "smtp_host": "127.0.0.1",
            "smtp_port": inbox.port,
            "smtp_tls": "none",
            "public_url": "https://flourish.test",
        }
        app = create_app(
            replace(settings, **{**smtp, **changes}), clock=clock, passwords=FAST_PASSWORDS
        )
        client = await aiohttp_client(app)
        return Mailed(client, app[SERVICES], inbox)

    return make


@pytest.fixture
async def mailed(mailed_with: MailedWith) -> Mailed:
    return await mailed_with()
