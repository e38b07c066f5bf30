"""Shared resources: links and files a coach shares into a session, and the coach's library.

A file is sent as `multipart/form-data` (a `title` field, then the `file` part) and read as a
stream; a link, or a library item shared in one step, as JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, unquote, urlencode, urlsplit

from aiohttp import BodyPartReader, web
from pydantic import AfterValidator, Field, model_validator

from booking.api.bookings import party
from booking.policy import resources as rules
from booking.services.resources import TOO_LARGE, Download, Resources, Shared, Upload
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.errors import BadRequest, Code, FieldError, PayloadTooLarge, ValidationFailed
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param
from realtime.limits import LIMITER, Kind
from realtime.sealed_files import CHUNK

RESOURCES = web.AppKey("resources", Resources)
# Room in a multipart body for its boundaries, headers and the title beside a 20 MB file.
MULTIPART_SLACK = 64 * 1024

routes = ApiRoutes(tag="bookings")
library_routes = ApiRoutes(tag="coaches")


def _https(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL")
    return url


HttpsUrl = Annotated[str, Field(max_length=rules.MAX_URL), AfterValidator(_https)]
Title = Annotated[str, Field(min_length=1, max_length=rules.MAX_TITLE)]


class ResourceIn(Input):
    title: Title | None = Field(None, description="What the client sees (for a link).")
    url: HttpsUrl | None = Field(None, description="An https:// link to share.")
    library_id: uuid.UUID | None = Field(
        None, description="Share this item of your library instead (one step)."
    )

    @model_validator(mode="after")
    def _one(self) -> ResourceIn:
        if self.library_id is None and (self.title is None or self.url is None):
            raise ValueError("give `title` and `url`, or `library_id`")
        if self.library_id is not None and (self.title is not None or self.url is not None):
            raise ValueError("give `library_id` alone")
        return self


class LibraryLinkIn(Input):
    title: Title
    url: HttpsUrl


class ResourceOut(Output):
    id: uuid.UUID
    kind: Literal["link", "file"]
    title: str
    url: str | None = Field(description="The link, for a link.")
    file_name: str | None = Field(description="The file's name, for a file.")
    content_type: str | None = Field(description="The file's type, found from its content.")
    size: int | None = Field(description="The file's size in bytes.")
    created_at: datetime
    download_url: str | None = Field(
        description="For a file shared into a session: a URL for you alone, valid 5 minutes "
        "(send your access token with it)."
    )

    @classmethod
    def of(cls, shared: Shared, download_url: str | None = None) -> ResourceOut:
        return cls(
            id=shared.id,
            kind=shared.kind,
            title=shared.title,
            url=shared.url,
            file_name=shared.file_name,
            content_type=shared.content_type,
            size=shared.size,
            created_at=shared.created_at,
            download_url=download_url,
        )


class ResourcesOut(Output):
    items: list[ResourceOut] = Field(description="Oldest first.")


class DownloadIn(Input):
    expires: int = Field(ge=0, le=2**40, description="From the listing's `download_url`.")
    sig: str = Field(min_length=64, max_length=64, description="From the listing's URL.")


def disposition(file_name: str) -> str:
    """`attachment` with the name twice (RFC 6266): an ASCII fallback for old clients and the
    exact name, UTF-8 and percent-encoded. The name has no quotes, slashes or control
    characters (`rules.safe_file_name`)."""
    fallback = "".join(ch if " " <= ch <= "~" else "_" for ch in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _out(request: web.Request, user_id: uuid.UUID, shared: Shared) -> ResourceOut:
    if shared.kind != "file" or shared.booking_id is None:
        return ResourceOut.of(shared)
    query = request.app[RESOURCES].download_query(user_id, shared.id)
    return ResourceOut.of(shared, f"/api/resources/{shared.id}/download?{urlencode(query)}")


async def _count_upload(request: web.Request, user_id: uuid.UUID) -> None:
    await request.app[LIMITER].count((Kind.RESOURCE_UPLOAD, str(user_id)))


async def read_upload(request: web.Request) -> tuple[str, Upload]:
    """The `title` field and the `file` part of a multipart upload; the file is left unread,
    for the service to stream. A body that says it is too large is refused unread."""
    if (request.content_length or 0) > rules.MAX_FILE_BYTES + MULTIPART_SLACK:
        raise PayloadTooLarge(Code.FILE_TOO_LARGE, TOO_LARGE)
    try:
        reader = await request.multipart()
        title_part = await reader.next()
        if not isinstance(title_part, BodyPartReader) or title_part.name != "title":
            raise _upload_shape()
        raw = bytearray()
        while piece := await title_part.read_chunk(1024):
            raw += piece
            if len(raw) > rules.MAX_TITLE * 4:
                raise ValidationFailed([FieldError("title", "at most 200 characters")])
        title = raw.decode("utf-8").strip()
        file_part = await reader.next()
    except (ValueError, UnicodeDecodeError, AssertionError):
        raise _upload_shape() from None
    if not isinstance(file_part, BodyPartReader) or file_part.name != "file":
        raise _upload_shape()
    if not 1 <= len(title) <= rules.MAX_TITLE or "\x00" in title:
        raise ValidationFailed([FieldError("title", "1 to 200 characters")])

    async def data() -> AsyncIterator[bytes]:
        while piece := await file_part.read_chunk(CHUNK):
            yield piece

    # Browsers send `"`, CR and LF in a file name percent-encoded (HTML's form encoding), aiohttp
    # every non-token character: decode, then `rules.safe_file_name` keeps what is safe.
    name = unquote(file_part.filename) if file_part.filename else None
    return title, Upload(name, data())


def _upload_shape() -> BadRequest:
    return BadRequest(
        Code.MALFORMED_REQUEST,
        "Send multipart/form-data with a `title` field first, then the `file` part.",
    )


@routes.post(
    "/api/bookings/{id}/resources",
    summary="Share a link, a file or a library item into a session",
    input=ResourceIn,
    responses={201: ResourceOut},
    access="coach",
    errors=(400, 403, 404, 409, 413, 415, 429),
    streamed=True,
)
async def share(request: web.Request, body: ResourceIn | None) -> web.StreamResponse:
    """By the session's coach, during or after a confirmed session. A file (multipart: `title`,
    then `file`, at most 20 MB: 413 `file_too_large`) must be, by its content, a PDF, an image
    (PNG, JPEG, GIF, WebP), audio (MP3, M4A, WAV, OGG) or an office document or worksheet
    (DOC(X), XLS(X), PPT(X), ODT, ODS, ODP), whatever its name says (415 `file_type_refused`).
    The session's participants in the room get `resource:shared`."""
    caller = await require(request, Role.COACH)
    resources = request.app[RESOURCES]
    booking_id = uuid_param(request)
    address = request_address(request)
    who = party(caller)
    if body is None:
        await resources.check_share(who, booking_id, file=True)
        await _count_upload(request, caller.user_id)
        title, upload = await read_upload(request)
        shared = await resources.share_file(who, booking_id, title, upload, address=address)
    elif body.library_id is not None:
        await _count_upload(request, caller.user_id)
        shared = await resources.share_from_library(
            who, booking_id, body.library_id, address=address
        )
    else:
        assert body.title is not None
        assert body.url is not None
        await _count_upload(request, caller.user_id)
        shared = await resources.share_link(who, booking_id, body.title, body.url, address=address)
    return respond(_out(request, caller.user_id, shared), status=201)


@routes.get(
    "/api/bookings/{id}/resources",
    summary="A session's shared resources",
    responses={200: ResourcesOut},
    errors=(404,),
)
async def list_resources(request: web.Request, _: NoInput) -> web.StreamResponse:
    """For the session's two participants (anyone else, admins too: 404), also after the
    session; each file with a fresh download URL for the caller."""
    caller = await require(request)
    found = await request.app[RESOURCES].of_booking(
        party(caller), uuid_param(request), address=request_address(request)
    )
    return respond(ResourcesOut(items=[_out(request, caller.user_id, s) for s in found]))


@routes.get(
    "/api/resources/{id}/download",
    summary="Download a shared file",
    input=DownloadIn,
    responses={200: "the file"},
    errors=(403, 404),
)
async def download(request: web.Request, query: DownloadIn) -> web.StreamResponse:
    """With the `download_url` a listing gave you, and your access token: 403
    `download_link_invalid` for anyone else's URL, `download_link_expired` after 5 minutes."""
    caller = await require(request)
    found = await request.app[RESOURCES].download(
        party(caller),
        uuid_param(request),
        query.expires,
        query.sig,
        address=request_address(request),
    )
    return await send_file(request, found)


async def send_file(request: web.Request, found: Download) -> web.StreamResponse:
    """A sealed file as an attachment, opened chunk by chunk as it is written."""
    response = web.StreamResponse(
        headers={
            "Content-Type": found.content_type,
            "Content-Disposition": disposition(found.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        }
    )
    response.content_length = found.size
    await response.prepare(request)
    # Closed however the writing ends (a reader who hangs up midway), so the stored file is too.
    async with aclosing(found.chunks) as chunks:
        async for piece in chunks:
            await response.write(piece)
    await response.write_eof()
    return response


@library_routes.get(
    "/api/coaches/me/resources",
    summary="Your resource library",
    responses={200: ResourcesOut},
    access="coach",
    errors=(403,),
)
async def library(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    found = await request.app[RESOURCES].library(party(caller), address=request_address(request))
    return respond(ResourcesOut(items=[ResourceOut.of(s) for s in found]))


@library_routes.post(
    "/api/coaches/me/resources",
    summary="Add a link or a file to your library",
    input=LibraryLinkIn,
    responses={201: ResourceOut},
    access="coach",
    errors=(400, 403, 409, 413, 415, 429),
    streamed=True,
)
async def add_to_library(request: web.Request, body: LibraryLinkIn | None) -> web.StreamResponse:
    """A link as JSON, or a file as multipart (`title`, then `file`) with the same rules as a
    shared file; share it into a session with `POST /api/bookings/{id}/resources`
    `{library_id}`. Capped at LIBRARY_MAX_ITEMS items and LIBRARY_MAX_BYTES bytes."""
    caller = await require(request, Role.COACH)
    resources = request.app[RESOURCES]
    address = request_address(request)
    await _count_upload(request, caller.user_id)
    if body is None:
        title, upload = await read_upload(request)
        added = await resources.add_to_library(party(caller), title, upload=upload, address=address)
    else:
        added = await resources.add_to_library(
            party(caller), body.title, url=body.url, address=address
        )
    return respond(ResourceOut.of(added), status=201)


@library_routes.get(
    "/api/coaches/me/resources/{id}/download",
    summary="Download a file of your library",
    responses={200: "the file"},
    access="coach",
    errors=(403, 404),
)
async def library_download(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Your own library's files only (audited, `resources.library.download`); a link is 404."""
    caller = await require(request, Role.COACH)
    found = await request.app[RESOURCES].library_download(
        party(caller), uuid_param(request), address=request_address(request)
    )
    return await send_file(request, found)


@library_routes.delete(
    "/api/coaches/me/resources/{id}",
    summary="Remove an item from your library",
    responses={204: None},
    access="coach",
    errors=(403, 404),
)
async def delete_from_library(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Copies already shared into sessions stay with those sessions."""
    caller = await require(request, Role.COACH)
    await request.app[RESOURCES].delete_from_library(
        party(caller), uuid_param(request), address=request_address(request)
    )
    return respond(None)


__all__: list[Any] = ["RESOURCES", "library_routes", "routes"]
