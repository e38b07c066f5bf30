"""Evidence of a coach's credentials: licence and certificate documents uploaded with an
application, sealed (title and file name in `meta`, the file in the blob store) under the
coach's own vault scope, read by admins only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class CredentialDocument(Base):
    __tablename__ = "credential_documents"
    __table_args__ = (Index("ix_credential_documents_application", "application_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("coach_applications.id", ondelete="CASCADE")
    )
    meta: Mapped[bytes] = mapped_column(LargeBinary)  # sealed {"title", "file_name"}
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def item_id(document_id: uuid.UUID) -> str:
    return f"credential-document:{document_id}"


def blob_key(document_id: uuid.UUID) -> str:
    return f"credentials/{document_id}"


async def of_application(
    session: AsyncSession, application_id: uuid.UUID
) -> list[CredentialDocument]:
    found = await session.scalars(
        select(CredentialDocument)
        .where(CredentialDocument.application_id == application_id)
        .order_by(CredentialDocument.created_at, CredentialDocument.id)
    )
    return list(found)


async def count(session: AsyncSession, application_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count()).where(CredentialDocument.application_id == application_id)
    )
    return int(found or 0)
