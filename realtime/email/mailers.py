"""How a rendered email leaves: over SMTP (`aiosmtplib`), or into the log (no SMTP set)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiosmtplib

from realtime.email.templates import Message

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The email was not accepted; trying again later may work. The message names no address."""


class Mailer(Protocol):
    async def send(self, email_id: uuid.UUID, template: str, message: Message) -> None:
        """Hand the message on, or raise `SendFailed`."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    tls: str  # "starttls", "tls" (implicit, port 465) or "none"
    sender: str
    timeout: float = 30.0


class SmtpMailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, email_id: uuid.UUID, template: str, message: Message) -> None:
        config = self.config
        mail = EmailMessage()
        mail["From"] = config.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        # Our own id: a server that sees a retry of the same row can tell it is one email.
        mail["Message-ID"] = make_msgid(idstring=email_id.hex, domain="flourish.outbox")
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=config.host,
                port=config.port,
                username=config.username or None,
                password=config.password or None,
                use_tls=config.tls == "tls",
                start_tls=config.tls == "starttls",
                timeout=config.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(type(exc).__name__) from None


class LogMailer:
    """No SMTP server configured: log which email it was and its links, nothing else."""

    async def send(self, email_id: uuid.UUID, template: str, message: Message) -> None:
        links = " ".join(message.links.values())
        log.info("email %s (%s) not sent, no SMTP_HOST; its links: %s", email_id, template, links)
