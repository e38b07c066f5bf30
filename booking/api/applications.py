"""Applying to coach, renewing verification, and the admins' review queue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from aiohttp import web
from pydantic import Field

from booking.api.coaching import COACHING
from booking.api.profiles import CredentialIn, ProfileIn
from booking.policy.verification import DEFAULT_REVERIFY_DAYS, REVERIFY_DAYS
from booking.services.applications import ApplicationDraft, ReferenceDraft
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class ReferenceIn(Input):
    name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    relationship: str = Field(min_length=2, max_length=200, examples=["Clinical supervisor"])
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()\-.]{5,31}$")


class ApplicationIn(ProfileIn):
    credentials: list[CredentialIn] = Field(min_length=1, max_length=10)
    references: list[ReferenceIn] = Field(min_length=2, max_length=5)
    agreement_version: str = Field(
        min_length=1, max_length=32, description="The version of GET /api/agreements/current."
    )


class ReverificationIn(Input):
    credentials: list[CredentialIn] = Field(min_length=1, max_length=10)
    agreement_version: str = Field(min_length=1, max_length=32)


class QueueQuery(Input):
    status: Literal["pending", "approved", "rejected"] = "pending"
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=1000)


class ApproveIn(Input):
    reverify_in_days: int = Field(
        default=DEFAULT_REVERIFY_DAYS, ge=REVERIFY_DAYS[0], le=REVERIFY_DAYS[1]
    )
    note: str | None = Field(default=None, max_length=2000)


class RejectIn(Input):
    reason: str = Field(min_length=1, max_length=2000)


class RegisterLinkOut(Output):
    name: str
    url: str


class CredentialOut(Output):
    id: uuid.UUID
    license_type: str
    license_number: str
    issuing_country: str
    issuing_region: str | None
    expires_on: date
    verified: bool
    verified_at: datetime | None
    public_register: RegisterLinkOut | None = Field(
        default=None,
        description="The public register to check it in (admins keep the list: "
        "`PUT /api/admin/registers`); null when none covers it.",
    )


class EventOut(Output):
    id: uuid.UUID
    at: datetime
    action: str
    actor_id: uuid.UUID | None
    note: str | None


class ApplicationOut(Output):
    id: uuid.UUID
    coach_id: uuid.UUID
    kind: Literal["initial", "reverification", "profile_change"]
    status: Literal["pending", "approved", "rejected"]
    agreement_version: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    proposed_display_name: str | None = Field(
        default=None, description="A profile change: the name public once approved"
    )
    proposed_photo_url: str | None = Field(
        default=None, description="A profile change: the photo public once approved"
    )
    credentials: list[CredentialOut]
    events: list[EventOut]


class ReferenceOut(Output):
    name: str
    email: str
    relationship: str
    phone: str | None


class ApplicationDetailOut(ApplicationOut):
    coach_display_name: str
    coach_status: str
    decided_by: uuid.UUID | None
    references: list[ReferenceOut]


class QueueItemOut(Output):
    id: uuid.UUID
    coach_id: uuid.UUID
    kind: str
    status: str
    submitted_at: datetime


class QueueOut(Output):
    items: list[QueueItemOut]
    next_cursor: str | None


@routes.post(
    "/api/coaches/me/application",
    summary="Apply to coach: profile, credentials, references, accepted agreement",
    input=ApplicationIn,
    responses={201: ApplicationOut},
    access="coach",
    errors=[409],
)
async def apply(request: web.Request, body: ApplicationIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    draft = ApplicationDraft(
        profile=body.profile_draft(),
        credentials=tuple(c.draft() for c in body.credentials),
        references=tuple(
            ReferenceDraft(r.name, r.email, r.relationship, r.phone) for r in body.references
        ),
        agreement_version=body.agreement_version,
    )
    view = await request.app[COACHING].applications.submit(caller.user_id, draft)
    return respond(ApplicationOut.model_validate(view), status=201)


@routes.post(
    "/api/coaches/me/reverification",
    summary="Renew verification with current credentials",
    input=ReverificationIn,
    responses={201: ApplicationOut},
    access="coach",
    errors=[404, 409],
)
async def reverify(request: web.Request, body: ReverificationIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[COACHING].applications.reverify(
        caller.user_id, tuple(c.draft() for c in body.credentials), body.agreement_version
    )
    return respond(ApplicationOut.model_validate(view), status=201)


@routes.get(
    "/api/admin/applications",
    summary="List applications by status, oldest first",
    input=QueueQuery,
    responses={200: QueueOut},
    access="admin",
    errors=[400],
)
async def application_queue(request: web.Request, query: QueueQuery) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    queue = await request.app[COACHING].applications.queue(query.status, query.limit, query.cursor)
    return respond(QueueOut.model_validate(queue))


@routes.get(
    "/api/admin/applications/{id}",
    summary="Read an application with its references and events",
    responses={200: ApplicationDetailOut},
    access="admin",
    errors=[404, 422],
)
async def application_detail(request: web.Request, _: NoInput) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    detail = await request.app[COACHING].applications.detail(uuid_param(request))
    return respond(ApplicationDetailOut.model_validate(detail))


@routes.post(
    "/api/admin/applications/{id}/approve",
    summary="Approve an application: the coach is verified until the re-verification date",
    input=ApproveIn,
    responses={200: ApplicationDetailOut},
    access="admin",
    errors=[404, 409],
)
async def approve(request: web.Request, body: ApproveIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    detail = await request.app[COACHING].applications.approve(
        caller.user_id, uuid_param(request), body.reverify_in_days, body.note
    )
    return respond(ApplicationDetailOut.model_validate(detail))


@routes.post(
    "/api/admin/applications/{id}/reject",
    summary="Reject an application with a reason",
    input=RejectIn,
    responses={200: ApplicationDetailOut},
    access="admin",
    errors=[404, 409],
)
async def reject(request: web.Request, body: RejectIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    detail = await request.app[COACHING].applications.reject(
        caller.user_id, uuid_param(request), body.reason
    )
    return respond(ApplicationDetailOut.model_validate(detail))
