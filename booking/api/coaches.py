"""Coach profiles: the coach's own view and edits, the public profile, the commission."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from aiohttp import web
from pydantic import Field

from booking.api.applications import ApplicationOut, CredentialOut, EventOut
from booking.api.coaching import COACHING
from booking.api.profiles import ProfilePatchIn
from realtime.auth.access import optional_principal, require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class NamedOut(Output):
    slug: str
    name: str


class OfferingOut(Output):
    session_type: str
    rate_minor: int = Field(description="Hourly rate in minor units of the coach's currency.")
    durations: list[int]
    dial_in: bool = Field(
        False,
        description="Clients may join by telephone: always for phone, the coach's choice for "
        "video (the server offers it only with dial-in on: PHONE_ENABLED).",
    )


class RatingOut(Output):
    average: float | None = Field(description="Average stars, two decimals; null until reviewed.")
    count: int


class CoachCardOut(Output):
    id: uuid.UUID
    display_name: str
    photo_url: str | None
    specialties: list[NamedOut]
    languages: list[str]
    session_types: list[OfferingOut]
    currency: str
    rating: RatingOut
    badges: list[NamedOut]
    years_experience: int
    time_zone: str
    online: bool = Field(
        description="The coach has the app open now (a live `/session` connection on any server)."
    )
    next_available: datetime | None = Field(
        None,
        description="The start of the coach's earliest free slot of any session type and length "
        "they offer, in the next 28 days (null: nothing free that soon); worked out again "
        "within about a minute of a change, so the slots route has the last word.",
    )


class RatingSummaryOut(RatingOut):
    by_star: dict[int, int] = Field(description="Number of reviews giving 1 to 5 stars.")


class PublicCredentialOut(Output):
    license_type: str
    issuing_country: str
    issuing_region: str | None
    expires_on: date
    verified: bool


class ReviewOut(Output):
    id: uuid.UUID
    rating: int
    text: str
    anonymous: bool
    client_name: str | None = Field(
        description="The author's first name and initial; null on anonymous reviews."
    )
    coach_response: str | None = Field(description="The coach's one public answer.")
    responded_at: datetime | None
    created_at: datetime


class CoachProfileOut(CoachCardOut):
    rating: RatingSummaryOut
    bio: str
    approach: str
    credentials: list[PublicCredentialOut]
    reviews: list[ReviewOut] = Field(description="The newest five.")


class VerificationOut(Output):
    status: str = Field(description="pending | verified | rejected | suspended")
    verified_at: datetime | None
    reverify_by: datetime | None
    lapsed: bool = Field(description="Verified, but the re-verification date has passed.")
    listed: bool = Field(description="Shown in the directory now.")


class HoursOut(Output):
    weekday: int
    start: str
    end: str


class CoachSelfOut(CoachCardOut):
    bio: str
    approach: str
    commission_bps: int
    weekly_hours: list[HoursOut]
    credentials: list[CredentialOut] = Field(description="Those of the latest approval.")
    verification: VerificationOut
    applications: list[ApplicationOut] = Field(description="Newest first, with their events.")
    events: list[EventOut] = Field(description="Steps outside applications: commission, badges.")


class CommissionIn(Input):
    commission_bps: int = Field(ge=1500, le=2500, description="Basis points: 2000 is 20%.")


class CommissionOut(Output):
    coach_id: uuid.UUID
    commission_bps: int


@routes.get(
    "/api/coaches/me",
    summary="Read your own coach profile, verification and applications",
    responses={200: CoachSelfOut},
    access="coach",
    errors=[404],
)
async def own_profile(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[COACHING].coaches.own(caller.user_id)
    return respond(CoachSelfOut.model_validate(view))


@routes.patch(
    "/api/coaches/me",
    summary="Edit your profile, rates, languages, specialties or weekly hours",
    input=ProfilePatchIn,
    responses={200: CoachSelfOut},
    access="coach",
    errors=[404],
)
async def edit_profile(request: web.Request, body: ProfilePatchIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[COACHING].coaches.edit(caller.user_id, body.profile_draft())
    return respond(CoachSelfOut.model_validate(view))


@routes.get(
    "/api/coaches/{id}",
    summary="Read a coach's public profile with rating summary and newest reviews",
    responses={200: CoachProfileOut},
    access="public",
    errors=[404, 422],
    description="Unlisted coaches are visible only to themselves and to admins.",
)
async def public_profile(request: web.Request, _: NoInput) -> web.StreamResponse:
    coach_id = uuid_param(request)
    viewer = await optional_principal(request)
    view = await request.app[COACHING].coaches.profile(
        coach_id,
        viewer.user_id if viewer else None,
        is_admin=viewer is not None and viewer.role == Role.ADMIN,
    )
    return respond(CoachProfileOut.model_validate(view))


@routes.put(
    "/api/admin/coaches/{id}/commission",
    summary="Set a coach's platform commission",
    input=CommissionIn,
    responses={200: CommissionOut},
    access="admin",
    errors=[404],
)
async def set_commission(request: web.Request, body: CommissionIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    coach_id = uuid_param(request)
    bps = await request.app[COACHING].coaches.set_commission(
        caller.user_id, coach_id, body.commission_bps
    )
    return respond(CommissionOut(coach_id=coach_id, commission_bps=bps))
