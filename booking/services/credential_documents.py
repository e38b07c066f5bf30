"""Credential documents: a coach attaches licence or certificate documents (PDF, PNG or JPEG,
by content) to their pending application; admins read them beside the application. Each
file is sealed in chunks under the coach's vault scope before it leaves the process (the blob
store, local or S3, holds ciphertext only), its title and name sealed in its row; every
upload and every read is audited; nothing of them is logged but ids."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import resources as rules
from booking.services.resources import Download, Inspected, Upload
from booking.storage import applications as application_store
from booking.storage import coaches as coach_store
from booking.storage import credential_documents as store
from booking.storage.applications import CoachApplication
from realtime import sealed_files
from realtime.audit import Audit
from realtime.blobs import BlobMissing, Blobs
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import Code, Conflict, NotFound, UnsupportedMediaType
from realtime.vault import Box, Sealer, user_scope

log = logging.getLogger(__name__)

# What evidence is: a scan or an export of a licence or certificate.
ACCEPTED = frozenset({"application/pdf", "image/png", "image/jpeg"})
PER_APPLICATION = 6


@dataclass(frozen=True)
class DocumentView:
    id: uuid.UUID
    title: str
    file_name: str
    content_type: str
    size: int
    created_at: datetime


class CredentialDocuments:
    def __init__(
        self, db: Database, clock: Clock, sealer: Sealer, audit: Audit, blobs: Blobs
    ) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit
        self.blobs = blobs

    async def pending_application(self, coach_user_id: uuid.UUID) -> CoachApplication:
        """The coach's pending application, which documents attach to (404 / 409 else), with
        room for one more document."""
        async with self.db.session() as session:
            coach = await coach_store.by_user(session, coach_user_id)
            if coach is None:
                raise NotFound(Code.NOT_A_COACH, "Apply as a coach first.")
            application = await application_store.pending_for(session, coach.id)
            if application is None:
                raise Conflict(
                    Code.APPLICATION_NOT_PENDING,
                    "Documents go with a pending application: apply (or re-verify) first.",
                )
            if await store.count(session, application.id) >= PER_APPLICATION:
                raise Conflict(
                    Code.DOCUMENT_LIMIT,
                    f"An application takes at most {PER_APPLICATION} documents.",
                )
            return application

    async def upload(
        self, coach_user_id: uuid.UUID, title: str, upload: Upload, *, address: str | None
    ) -> DocumentView:
        application = await self.pending_application(coach_user_id)
        box = await self.sealer.box(user_scope(coach_user_id))
        document_id = new_id()
        inspected = Inspected(upload.data)
        key = store.blob_key(document_id)
        try:
            await self.blobs.put(
                key, sealed_files.seal(box, store.item_id(document_id), inspected.chunks())
            )
            file_type = inspected.file_type()
            if file_type.mime not in ACCEPTED:
                raise UnsupportedMediaType(
                    Code.FILE_TYPE_REFUSED,
                    "A credential document is a PDF, PNG or JPEG (by its content, whatever "
                    "its name says).",
                )
            file_name = rules.safe_file_name(upload.file_name, file_type)
            now = self.clock.now()
            meta = orjson.dumps({"title": title, "file_name": file_name})
            row = store.CredentialDocument(
                id=document_id,
                application_id=application.id,
                meta=box.seal(store.item_id(document_id), meta),
                content_type=file_type.mime,
                size=inspected.size,
                created_at=now,
            )
            async with self.db.session() as session:
                # Checked again in the write: two uploads at once cannot pass the cap.
                if await store.count(session, application.id) >= PER_APPLICATION:
                    raise Conflict(
                        Code.DOCUMENT_LIMIT,
                        f"An application takes at most {PER_APPLICATION} documents.",
                    )
                session.add(row)
        except BaseException:
            await self.blobs.delete(key)
            raise
        await self.audit.record(
            actor_id=coach_user_id,
            action="credential-document.write",
            booking_id=None,
            item_id=store.item_id(document_id),
            address=address,
        )
        log.info("application %s: credential document %s stored", application.id, document_id)
        return DocumentView(document_id, title, file_name, file_type.mime, inspected.size, now)

    async def mine(self, coach_user_id: uuid.UUID) -> list[DocumentView]:
        """The documents of the coach's latest application (their own, titles and names)."""
        async with self.db.session() as session:
            coach = await coach_store.by_user(session, coach_user_id)
            if coach is None:
                raise NotFound(Code.NOT_A_COACH, "Apply as a coach first.")
            applications = await application_store.of_coach(session, coach.id)
            rows = await store.of_application(session, applications[0].id) if applications else []
        box = await self.sealer.box(user_scope(coach_user_id))
        return [_view(box, row) for row in rows]

    async def of_application(
        self, admin_id: uuid.UUID, application_id: uuid.UUID, *, address: str | None
    ) -> list[DocumentView]:
        """An application's documents as the admin deciding it lists them (audited)."""
        async with self.db.session() as session:
            owner = await self._owner(session, application_id)
            rows = await store.of_application(session, application_id)
        box = await self.sealer.box(user_scope(owner))
        for row in rows:
            await self.audit.record(
                actor_id=admin_id,
                action="credential-document.list",
                booking_id=None,
                item_id=store.item_id(row.id),
                address=address,
            )
        return [_view(box, row) for row in rows]

    async def download(
        self,
        admin_id: uuid.UUID,
        application_id: uuid.UUID,
        document_id: uuid.UUID,
        *,
        address: str | None,
    ) -> Download:
        """One document for an admin, checked whole before its first byte goes (audited)."""
        async with self.db.session() as session:
            owner = await self._owner(session, application_id)
            row = await session.get(store.CredentialDocument, document_id)
            if row is None or row.application_id != application_id:
                raise NotFound(Code.NOT_FOUND, "This application has no such document.")
        box = await self.sealer.box(user_scope(owner))
        view = _view(box, row)
        item, key = store.item_id(row.id), store.blob_key(row.id)
        try:
            async for _ in sealed_files.open_(box, item, self.blobs.get(key)):
                pass
        except BlobMissing:
            log.error("credential document %s: its file is missing", row.id)
            raise NotFound(Code.NOT_FOUND, "This document is no longer stored.") from None
        await self.audit.record(
            actor_id=admin_id,
            action="credential-document.read",
            booking_id=None,
            item_id=item,
            address=address,
        )
        return Download(
            file_name=view.file_name,
            content_type=row.content_type,
            size=row.size,
            chunks=sealed_files.open_(box, item, self.blobs.get(key)),
        )

    @staticmethod
    async def _owner(session: AsyncSession, application_id: uuid.UUID) -> uuid.UUID:
        """The user id of the coach whose application it is (404 for no application)."""
        application = await session.get(CoachApplication, application_id)
        coach = (
            None if application is None else await coach_store.by_id(session, application.coach_id)
        )
        if application is None or coach is None:
            raise NotFound(Code.APPLICATION_NOT_FOUND, f"No application has id {application_id}.")
        return coach.user_id


def _view(box: Box, row: store.CredentialDocument) -> DocumentView:
    meta = orjson.loads(box.open(store.item_id(row.id), row.meta))
    return DocumentView(
        row.id, meta["title"], meta["file_name"], row.content_type, row.size, row.created_at
    )
