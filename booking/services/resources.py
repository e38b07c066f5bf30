"""Shared resources: links and files a coach shares into a session, and the coach's library.

A file is streamed: its plaintext passes through this process in chunks, is type-checked from
its content (`booking.policy.resources`), sealed chunk by chunk (`realtime.sealed_files`, the
booking's vault scope, the resource id as item) and written to the blob store as it comes; the
row is written only once the file is whole, accepted and stored, so a refused or broken upload
stores nothing (a partial blob is removed). Title, link and file name are sealed in the row.

Only the session's two participants list and download (others 404, admins too). A download
URL is signed for one user and five minutes (HMAC-SHA256 under a key derived from SECRET_KEY);
it carries ids and the expiry only. Every share, listing and download is audited with ids;
logs carry ids only. Library items are sealed in the coach's user scope; sharing one into a
session re-seals its file under the booking's key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import resources as rules
from booking.policy.states import Status
from booking.services.bookings import Party, participant_booking
from booking.services.statuses import effective_status
from booking.storage import resources as store
from booking.storage.coaches import Coach
from realtime import sealed_files
from realtime.audit import Audit
from realtime.blobs import BlobMissing, Blobs
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import (
    BadRequest,
    Code,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from realtime.keys import derive
from realtime.vault import Box, Sealer, booking_scope, user_scope

log = logging.getLogger(__name__)

DOWNLOAD_TTL = timedelta(minutes=5)
TOO_LARGE = f"A shared file is at most {rules.MAX_FILE_BYTES // (1024 * 1024)} MB."


@dataclass(frozen=True)
class Caps:
    files_per_session: int
    library_items: int
    library_bytes: int


@dataclass(frozen=True)
class Shared:
    id: uuid.UUID
    booking_id: uuid.UUID | None
    kind: str
    title: str
    url: str | None
    file_name: str | None
    content_type: str | None
    size: int | None
    created_at: datetime


@dataclass(frozen=True)
class Download:
    file_name: str
    content_type: str
    size: int
    chunks: AsyncGenerator[bytes, None]


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: the uploader's name for it (kept sealed) and its bytes."""

    file_name: str | None
    data: AsyncIterable[bytes]


class Announcer(Protocol):
    """Tells a session's room that something was shared (signalling.resources)."""

    async def shared(self, booking_id: uuid.UUID, resource: Shared) -> None: ...


class NoAnnouncer:
    async def shared(self, booking_id: uuid.UUID, resource: Shared) -> None:
        return None


class Resources:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        sealer: Sealer,
        audit: Audit,
        blobs: Blobs,
        secret_key: str,
        caps: Caps,
        announcer: Announcer | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.sealer = sealer
        self.audit = audit
        self.blobs = blobs
        self.url_key = derive(secret_key, "resource-download-url")
        self.caps = caps
        self.announcer: Announcer = announcer or NoAnnouncer()

    # Sharing into a session

    async def check_share(self, party: Party, booking_id: uuid.UUID, *, file: bool) -> None:
        """Refuse before anything is read or stored: not the coach, no session, files cap."""
        async with self.db.session() as session:
            booking, coach = await participant_booking(session, Party(party.user_id), booking_id)
            _check_coach(party, coach, effective_status(booking, self.clock.now()))
            if file:
                await self._check_file_cap(session, booking_id)

    async def _check_file_cap(self, session: AsyncSession, booking_id: uuid.UUID) -> None:
        if await store.count_files(session, booking_id) >= self.caps.files_per_session:
            raise Conflict(
                Code.RESOURCE_LIMIT,
                f"A session holds at most {self.caps.files_per_session} shared files.",
            )

    async def share_link(
        self, party: Party, booking_id: uuid.UUID, title: str, url: str, *, address: str | None
    ) -> Shared:
        await self.check_share(party, booking_id, file=False)
        box = await self.sealer.box(booking_scope(booking_id))
        shared = await self._insert(box, party, booking_id, "link", title, url=url)
        return await self._shared(party, shared, address)

    async def share_file(
        self,
        party: Party,
        booking_id: uuid.UUID,
        title: str,
        upload: Upload,
        *,
        address: str | None,
    ) -> Shared:
        await self.check_share(party, booking_id, file=True)
        box = await self.sealer.box(booking_scope(booking_id))
        shared = await self._store_file(box, party, booking_id, title, upload)
        return await self._shared(party, shared, address)

    async def share_from_library(
        self, party: Party, booking_id: uuid.UUID, library_id: uuid.UUID, *, address: str | None
    ) -> Shared:
        """One step: the library item's copy in the session, its file re-sealed under the
        booking's key."""
        item = await self._library_row(party, library_id)
        await self.check_share(party, booking_id, file=item.kind == "file")
        library_box = await self.sealer.box(user_scope(party.user_id))
        meta = _meta(library_box, item)
        box = await self.sealer.box(booking_scope(booking_id))
        if item.kind == "link":
            shared = await self._insert(box, party, booking_id, "link", meta["title"], meta["url"])
        else:
            plaintext = sealed_files.open_(
                library_box, store.item_id(item.id), self.blobs.get(store.blob_key(item.id))
            )
            try:
                shared = await self._store_file(
                    box, party, booking_id, meta["title"], Upload(meta["file_name"], plaintext)
                )
            except BlobMissing:
                log.error(
                    "library resource %s of user %s: its file is missing", item.id, party.user_id
                )
                raise NotFound(
                    Code.NOT_FOUND, "This library item's file is no longer stored."
                ) from None
        await self._audit(party, "resources.library.read", None, store.item_id(item.id), address)
        return await self._shared(party, shared, address)

    async def _shared(self, party: Party, shared: Shared, address: str | None) -> Shared:
        await self._audit(
            party, "resources.share", shared.booking_id, store.item_id(shared.id), address
        )
        log.info(
            "booking %s resource %s (%s) shared by user %s",
            shared.booking_id,
            shared.id,
            shared.kind,
            party.user_id,
        )
        if shared.booking_id is not None:
            await self.announcer.shared(shared.booking_id, shared)
        return shared

    # Reading a session's resources

    async def of_booking(
        self, party: Party, booking_id: uuid.UUID, *, address: str | None
    ) -> list[Shared]:
        async with self.db.session() as session:
            # As a plain participant: an admin sees the booking, never its resources.
            await participant_booking(session, Party(party.user_id), booking_id)
            rows = await store.of_booking(session, booking_id)
        await self._audit(party, "resources.list", booking_id, "resources", address)
        return await self._opened(booking_scope(booking_id), rows)

    def download_query(self, user_id: uuid.UUID, resource_id: uuid.UUID) -> dict[str, str]:
        """The query of a download URL for this user, valid for DOWNLOAD_TTL."""
        expires = int((self.clock.now() + DOWNLOAD_TTL).timestamp())
        return {"expires": str(expires), "sig": self._signature(user_id, resource_id, expires)}

    def _signature(self, user_id: uuid.UUID, resource_id: uuid.UUID, expires: int) -> str:
        message = f"{resource_id}:{user_id}:{expires}".encode()
        return hmac.new(self.url_key, message, hashlib.sha256).hexdigest()

    async def download(
        self,
        party: Party,
        resource_id: uuid.UUID,
        expires: int,
        signature: str,
        *,
        address: str | None,
    ) -> Download:
        """The file, checked whole before its first byte is sent (a damaged file is a clear
        error, never part of one)."""
        expected = self._signature(party.user_id, resource_id, expires)
        if not hmac.compare_digest(expected, signature):
            raise Forbidden(
                Code.DOWNLOAD_LINK_INVALID,
                "This download link is not yours or was altered; list the session's "
                "resources again for a fresh one.",
            )
        if self.clock.now().timestamp() > expires:
            raise Forbidden(
                Code.DOWNLOAD_LINK_EXPIRED,
                "This download link has expired; list the session's resources again for a "
                "fresh one.",
            )
        async with self.db.session() as session:
            row = await session.get(store.Resource, resource_id)
            if row is None or row.booking_id is None or row.kind != "file":
                raise NotFound(Code.NOT_FOUND, "No such shared file.")
            await participant_booking(session, Party(party.user_id), row.booking_id)
        found = await self._checked_file(await self.sealer.box(booking_scope(row.booking_id)), row)
        await self._audit(
            party, "resources.download", row.booking_id, store.item_id(row.id), address
        )
        log.info(
            "booking %s resource %s downloaded by user %s", row.booking_id, row.id, party.user_id
        )
        return found

    async def library_download(
        self, party: Party, library_id: uuid.UUID, *, address: str | None
    ) -> Download:
        """A file of the coach's own library, for the coach (audited)."""
        row = await self._library_row(party, library_id)
        if row.kind != "file":
            raise NotFound(Code.NOT_FOUND, "This library item is a link, not a file.")
        found = await self._checked_file(await self.sealer.box(user_scope(party.user_id)), row)
        item = store.item_id(row.id)
        await self._audit(party, "resources.library.download", None, item, address)
        return found

    async def _checked_file(self, box: Box, row: store.Resource) -> Download:
        """The stored file, checked whole before its first byte is sent (a damaged file is a
        clear error, never part of one)."""
        meta = _meta(box, row)
        item = store.item_id(row.id)
        key = store.blob_key(row.id)
        try:
            async for _ in sealed_files.open_(box, item, self.blobs.get(key)):
                pass
        except BlobMissing:
            log.error("resource %s: its file is missing", row.id)
            raise NotFound(Code.NOT_FOUND, "This file is no longer stored.") from None
        return Download(
            file_name=meta["file_name"],
            content_type=row.content_type or "application/octet-stream",
            size=row.size or 0,
            chunks=sealed_files.open_(box, item, self.blobs.get(key)),
        )

    # The coach's library

    async def library(self, party: Party, *, address: str | None) -> list[Shared]:
        async with self.db.session() as session:
            rows = await store.library(session, party.user_id)
        await self._audit(party, "resources.library", None, "library", address)
        return await self._opened(user_scope(party.user_id), rows)

    async def _opened(self, scope: str, rows: Sequence[store.Resource]) -> list[Shared]:
        if not rows:
            return []
        box = await self.sealer.box(scope)
        return [_shared(box, row) for row in rows]

    async def _audit(
        self,
        party: Party,
        action: str,
        booking_id: uuid.UUID | None,
        item_id: str,
        address: str | None,
    ) -> None:
        await self.audit.record(
            actor_id=party.user_id,
            action=action,
            booking_id=booking_id,
            item_id=item_id,
            address=address,
        )

    async def add_to_library(
        self,
        party: Party,
        title: str,
        *,
        url: str | None = None,
        upload: Upload | None = None,
        address: str | None,
    ) -> Shared:
        await self._check_library(party, adding_file=upload is not None)
        box = await self.sealer.box(user_scope(party.user_id))
        if upload is None:
            shared = await self._insert(box, party, None, "link", title, url=url)
        else:
            shared = await self._store_file(box, party, None, title, upload)
            _, used = await self._library_usage(party)
            if used > self.caps.library_bytes:
                await self._remove(shared.id)
                raise PayloadTooLarge(
                    Code.RESOURCE_LIMIT,
                    f"Your library holds at most {self.caps.library_bytes} bytes of files; "
                    "delete something first.",
                )
        await self._audit(party, "resources.library.add", None, store.item_id(shared.id), address)
        log.info("library resource %s (%s) added by user %s", shared.id, shared.kind, party.user_id)
        return shared

    async def delete_from_library(
        self, party: Party, library_id: uuid.UUID, *, address: str | None
    ) -> None:
        """Removes the library item; copies already shared into sessions stay."""
        item = await self._library_row(party, library_id)
        await self._remove(item.id)
        await self._audit(party, "resources.library.delete", None, store.item_id(item.id), address)

    async def _check_library(self, party: Party, *, adding_file: bool) -> None:
        items, used = await self._library_usage(party)
        if items >= self.caps.library_items:
            raise Conflict(
                Code.RESOURCE_LIMIT,
                f"Your library holds at most {self.caps.library_items} items; delete one first.",
            )
        if adding_file and used >= self.caps.library_bytes:
            raise Conflict(
                Code.RESOURCE_LIMIT,
                f"Your library holds at most {self.caps.library_bytes} bytes of files; "
                "delete something first.",
            )

    async def _library_usage(self, party: Party) -> tuple[int, int]:
        async with self.db.session() as session:
            return await store.library_usage(session, party.user_id)

    async def _library_row(self, party: Party, library_id: uuid.UUID) -> store.Resource:
        async with self.db.session() as session:
            row = await session.get(store.Resource, library_id)
        if row is None or row.booking_id is not None or row.owner_id != party.user_id:
            raise NotFound(Code.NOT_FOUND, f"Your library has no item {library_id}.")
        return row

    async def _remove(self, resource_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            row = await session.get(store.Resource, resource_id)
            if row is not None:
                await session.delete(row)
        await self.blobs.delete(store.blob_key(resource_id))

    # Storing

    async def _insert(
        self,
        box: Box,
        party: Party,
        booking_id: uuid.UUID | None,
        kind: str,
        title: str,
        url: str | None = None,
        *,
        resource_id: uuid.UUID | None = None,
        file_name: str | None = None,
        file_type: rules.FileType | None = None,
        size: int | None = None,
    ) -> Shared:
        resource_id = resource_id or new_id()
        now = self.clock.now()
        meta = {"title": title, "url": url, "file_name": file_name}
        async with self.db.session() as session:
            if booking_id is not None:
                # Again, under the booking's row lock: the session may have been canceled
                # during a long upload, and two uploads at once must not pass the cap.
                booking, coach = await participant_booking(
                    session, Party(party.user_id), booking_id, lock=True
                )
                _check_coach(party, coach, effective_status(booking, now))
                if kind == "file":
                    await self._check_file_cap(session, booking_id)
            session.add(
                store.Resource(
                    id=resource_id,
                    booking_id=booking_id,
                    owner_id=party.user_id,
                    kind=kind,
                    meta=box.seal(store.item_id(resource_id), orjson.dumps(meta)),
                    content_type=file_type.mime if file_type else None,
                    size=size,
                    created_at=now,
                )
            )
        return Shared(
            resource_id,
            booking_id,
            kind,
            title,
            url,
            file_name,
            file_type.mime if file_type else None,
            size,
            now,
        )

    async def _store_file(
        self,
        box: Box,
        party: Party,
        booking_id: uuid.UUID | None,
        title: str,
        upload: Upload,
    ) -> Shared:
        resource_id = new_id()
        inspected = Inspected(upload.data)
        key = store.blob_key(resource_id)
        try:
            await self.blobs.put(
                key, sealed_files.seal(box, store.item_id(resource_id), inspected.chunks())
            )
            file_type = inspected.file_type()
            return await self._insert(
                box,
                party,
                booking_id,
                "file",
                title,
                resource_id=resource_id,
                file_name=rules.safe_file_name(upload.file_name, file_type),
                file_type=file_type,
                size=inspected.size,
            )
        except BaseException:
            await self.blobs.delete(key)
            raise


class Inspected:
    """Passes an upload's bytes through, counting them (refusing past MAX_FILE_BYTES) and
    keeping its first and last bytes for the type check."""

    def __init__(self, data: AsyncIterable[bytes]) -> None:
        self.data = data
        self.head = bytearray()
        self.tail = bytearray()
        self.size = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        checked = False
        async for piece in self.data:
            self.size += len(piece)
            if self.size > rules.MAX_FILE_BYTES:
                raise PayloadTooLarge(Code.FILE_TOO_LARGE, TOO_LARGE)
            if len(self.head) < rules.HEAD:
                self.head += piece[: rules.HEAD - len(self.head)]
            if not checked and len(self.head) >= rules.SNIFF:
                checked = True
                if rules.early_refusal(bytes(self.head)):
                    raise _refused()
            self.tail += piece
            if len(self.tail) > rules.TAIL:
                del self.tail[: len(self.tail) - rules.TAIL]
            yield piece

    def file_type(self) -> rules.FileType:
        if self.size == 0:
            raise BadRequest(Code.FILE_EMPTY, "The file is empty: nothing to share.")
        found = rules.file_type(bytes(self.head), bytes(self.tail), self.size)
        if found is None:
            raise _refused()
        return found


def _refused() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        Code.FILE_TYPE_REFUSED,
        f"This file's content is not a type we accept ({rules.ACCEPTED}), whatever its name "
        "or declared type says.",
    )


def _meta(box: Box, row: store.Resource) -> dict[str, str]:
    loaded: dict[str, str] = orjson.loads(box.open(store.item_id(row.id), row.meta))
    return loaded


def _shared(box: Box, row: store.Resource) -> Shared:
    meta = _meta(box, row)
    return Shared(
        row.id,
        row.booking_id,
        row.kind,
        meta["title"],
        meta.get("url"),
        meta.get("file_name"),
        row.content_type,
        row.size,
        row.created_at,
    )


def _check_coach(party: Party, coach: Coach, status: Status) -> None:
    if coach.user_id != party.user_id:
        raise Forbidden(Code.FORBIDDEN, "Only the session's coach shares resources into it.")
    if status not in rules.SHARED_INTO:
        raise Conflict(
            Code.BOOKING_NOT_CONFIRMED,
            f"Resources are shared into confirmed sessions; this booking is {status.value}.",
        )
