"""The outbox on both databases: sent once over real SMTP (aiosmtpd), written with its change or
not at all, retried with backoff while SMTP is down, logged as links only without SMTP."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from realtime.db import Database
from realtime.email.mailers import LogMailer, SmtpConfig, SmtpMailer
from realtime.email.models import OutboxEmail
from realtime.email.outbox import Outbox, enqueue, retry_delay
from realtime.settings import Settings
from tests.support.clock import FakeClock
from tests.support.smtp import body, smtp_server

PARAMS = {"name": "Ann", "token": "tok-123", "hours": "48"}


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, schema=settings.database_schema)
    yield database
    await database.close()


def smtp(port: int) -> SmtpMailer:
    return SmtpMailer(
        SmtpConfig(
            host="127.0.0.1",
            port=port,
            username="",
            password="",
            tls="none",
            sender="Flourish <no-reply@flourish.test>",
            timeout=5,
        )
    )


async def add(db: Database, clock: FakeClock, to: str = "ann@example.org") -> None:
    async with db.session() as session:
        await enqueue(session, clock.now(), to=to, template="verify_email", params=PARAMS)


async def rows(db: Database) -> list[OutboxEmail]:
    async with db.session() as session:
        return list((await session.scalars(select(OutboxEmail))).all())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_email_is_sent_once_though_several_processes_try(
    db: Database, clock: FakeClock
) -> None:
    async with smtp_server() as inbox:
        await add(db, clock)
        await add(db, clock, "bob@example.org")
        workers = [Outbox(db, clock, smtp(inbox.port), "https://flourish.test") for _ in range(3)]
        sent = await asyncio.gather(*(w.send_due() for w in workers))
        assert sum(sent) == 2
        assert sorted(m["To"] for m in inbox.messages) == ["ann@example.org", "bob@example.org"]
        assert sum(await asyncio.gather(*(w.send_due() for w in workers))) == 0
    [message] = inbox.to("ann@example.org")
    assert message["From"] == "Flourish <no-reply@flourish.test>"
    assert "https://flourish.test/verify-email?token=tok-123" in body(message)
    assert {(r.status, r.attempts, r.claim) for r in await rows(db)} == {("sent", 0, None)}
    assert all(r.params == {} for r in await rows(db))  # no link tokens kept once sent


async def test_an_email_of_a_rolled_back_change_is_never_sent(
    db: Database, clock: FakeClock
) -> None:
    async def change_that_fails() -> None:
        async with db.session() as session:
            await enqueue(
                session, clock.now(), to="ann@example.org", template="verify_email", params=PARAMS
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await change_that_fails()
    assert await rows(db) == []


async def test_smtp_down_is_retried_with_backoff_then_sent_once(
    db: Database, clock: FakeClock
) -> None:
    port = free_port()  # nothing listens here yet
    outbox = Outbox(db, clock, smtp(port), "https://flourish.test")
    await add(db, clock)
    assert await outbox.send_due() == 0
    [row] = await rows(db)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "SMTPConnectError")
    assert row.due_at == clock.now() + timedelta(seconds=retry_delay(1))
    assert [retry_delay(n) for n in (1, 2, 3, 20)] == [30, 60, 120, 3600]

    async with smtp_server(port) as inbox:
        assert await outbox.send_due() == 0  # not due yet
        clock.advance(retry_delay(1))
        assert await outbox.send_due() == 1
        assert await outbox.send_due() == 0
    assert len(inbox.messages) == 1
    [row] = await rows(db)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, clock.now())


async def test_without_smtp_only_the_links_are_logged(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = Outbox(db, clock, LogMailer(), "http://127.0.0.1:8080")
    await add(db, clock)
    with caplog.at_level(logging.INFO, logger="realtime.email"):
        assert await outbox.send_due() == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "http://127.0.0.1:8080/verify-email?token=tok-123" in logged
    assert "Hello" not in logged
    assert "ann@example.org" not in logged
