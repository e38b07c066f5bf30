"""Credential documents: the coach's licence and certificate evidence with their pending
application, and the admins' reading of it (booking/services/credential_documents.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.resources import read_upload, send_file
from booking.services.credential_documents import CredentialDocuments, DocumentView
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.errors import BadRequest, Code
from realtime.http import ApiRoutes, NoInput, Output, respond, uuid_param
from realtime.limits import LIMITER, Kind

routes = ApiRoutes(tag="applications")
CREDENTIAL_DOCUMENTS = web.AppKey("credential_documents", CredentialDocuments)


class DocumentOut(Output):
    id: uuid.UUID
    title: str = Field(description="What it is, as the coach named it.")
    file_name: str
    content_type: str = Field(description="application/pdf, image/png or image/jpeg.")
    size: int = Field(description="Bytes.")
    created_at: datetime

    @classmethod
    def of(cls, view: DocumentView) -> DocumentOut:
        return cls.model_validate(view, from_attributes=True)


class DocumentListOut(Output):
    items: list[DocumentOut]


@routes.post(
    "/api/coaches/me/application/documents",
    summary="Attach a licence or certificate document to your pending application",
    input=NoInput,
    responses={201: DocumentOut},
    access="coach",
    errors=(400, 404, 409, 413, 415, 429),
    streamed=True,
)
async def upload(request: web.Request, body: NoInput | None) -> web.StreamResponse:
    """multipart/form-data: a `title` field ("Texas LPC licence"), then the `file` part, at most
    20 MB, a PDF, PNG or JPEG by its content (415 `file_type_refused` else). At most 6 per
    application (409 `document_limit`); only while it is pending (409
    `application_not_pending`). Sealed before it is stored; admins only read it."""
    caller = await require(request, Role.COACH)
    if body is not None:
        raise BadRequest(
            Code.MALFORMED_REQUEST,
            "Send multipart/form-data with a `title` field first, then the `file` part.",
        )
    documents = request.app[CREDENTIAL_DOCUMENTS]
    await documents.pending_application(caller.user_id)  # refused before anything is read
    await request.app[LIMITER].count((Kind.RESOURCE_UPLOAD, str(caller.user_id)))
    title, file = await read_upload(request)
    stored = await documents.upload(caller.user_id, title, file, address=request_address(request))
    return respond(DocumentOut.of(stored), status=201)


@routes.get(
    "/api/coaches/me/application/documents",
    summary="The documents of your latest application",
    input=NoInput,
    responses={200: DocumentListOut},
    access="coach",
    errors=(404,),
)
async def mine(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    found = await request.app[CREDENTIAL_DOCUMENTS].mine(caller.user_id)
    return respond(DocumentListOut(items=[DocumentOut.of(d) for d in found]))


@routes.get(
    "/api/admin/applications/{id}/documents",
    summary="An application's credential documents",
    input=NoInput,
    responses={200: DocumentListOut},
    access="admin",
    errors=(404,),
    description="Audited (`credential-document.list`, one row per document).",
)
async def of_application(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    found = await request.app[CREDENTIAL_DOCUMENTS].of_application(
        caller.user_id, uuid_param(request), address=request_address(request)
    )
    return respond(DocumentListOut(items=[DocumentOut.of(d) for d in found]))


@routes.get(
    "/api/admin/applications/{id}/documents/{document_id}",
    summary="Download a credential document",
    input=NoInput,
    responses={200: "the file"},
    access="admin",
    errors=(404,),
    description="The file as uploaded, checked whole before it is sent. Audited "
    "(`credential-document.read`).",
)
async def download(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    found = await request.app[CREDENTIAL_DOCUMENTS].download(
        caller.user_id,
        uuid_param(request),
        uuid_param(request, "document_id"),
        address=request_address(request),
    )
    return await send_file(request, found)
