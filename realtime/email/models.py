"""The outbox table: one row per email to send."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Index, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class OutboxEmail(Base):
    """An email waiting to be sent, being sent (`claim` set, until `claimed_until`) or done.

    `params` feed the template; they may hold a link's single-use token, so they are emptied
    once the email is sent or given up.
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_due", "status", "due_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    # The account the email is about, for logs (which never show the address); None for none.
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    to_address: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The class of the last sending error (never its text, which may quote the address).
    last_error: Mapped[str | None] = mapped_column(String(120), default=None)
