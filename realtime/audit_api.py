"""The audit log over HTTP, for admins; reading it is itself audited."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web
from pydantic import Field

from realtime.audit import Audit, Entry
from realtime.auth.access import require
from realtime.auth.api import client_address
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, Output, respond


class AuditAccess:
    """The audit log and how to tell a caller's address (behind a trusted proxy or not)."""

    def __init__(self, audit: Audit, *, trust_proxy: bool) -> None:
        self.audit = audit
        self.trust_proxy = trust_proxy


AUDIT = web.AppKey("audit", AuditAccess)

routes = ApiRoutes(tag="admin")


def request_address(request: web.Request) -> str:
    """The caller's address as the audit log records it."""
    return client_address(request, request.app[AUDIT].trust_proxy)


class AuditQuery(Input):
    booking_id: uuid.UUID | None = Field(None, description="Only rows about this booking.")
    user_id: uuid.UUID | None = Field(None, description="Only rows of what this user did.")
    before: int | None = Field(None, ge=1, description="`next_before` of the previous page.")
    limit: int = Field(50, ge=1, le=200)


class EntryOut(Output):
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str = Field(description="What was done, e.g. `details.read`, `notes.write`.")
    booking_id: uuid.UUID | None
    item_id: str | None = Field(description="The item's id (never its content).")
    address: str | None

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(**entry.__dict__)


class AuditPageOut(Output):
    entries: list[EntryOut] = Field(description="Newest first.")
    next_before: int | None = Field(description="Pass as `before` for the next page; null: none.")


@routes.get(
    "/api/admin/audit",
    summary="Read the audit log (newest first, paged)",
    input=AuditQuery,
    responses={200: AuditPageOut},
    access="admin",
    errors=[422],
)
async def audit_log(request: web.Request, query: AuditQuery) -> web.StreamResponse:
    """Who read or wrote which private item, when and from where (ids only). The read itself
    is appended to the log (`audit.read`) before the page is read."""
    caller = await require(request, Role.ADMIN)
    access = request.app[AUDIT]
    await access.audit.record(
        actor_id=caller.user_id,
        action="audit.read",
        booking_id=query.booking_id,
        item_id=f"user:{query.user_id}" if query.user_id else None,
        address=request_address(request),
    )
    entries = await access.audit.page(
        booking_id=query.booking_id,
        actor_id=query.user_id,
        before=query.before,
        limit=query.limit,
    )
    more = len(entries) == query.limit and entries[-1].seq > 1
    return respond(
        AuditPageOut(
            entries=[EntryOut.of(e) for e in entries],
            next_before=entries[-1].seq if more else None,
        )
    )
