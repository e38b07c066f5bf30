"""Reviews: the client's of a completed session, the coach's response, an admin's hiding, and
reading a coach's reviews."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from booking.api.coaches import ReviewOut
from booking.api.coaching import COACHING
from booking.policy.reviews import HIDE_REASON_MAX, RESPONSE_MAX, TEXT_MAX
from realtime.audit_api import request_address
from realtime.auth.access import optional_principal, require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, Output, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class ReviewQuery(Input):
    limit: int = Field(default=10, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=1000)


class ReviewPageOut(Output):
    items: list[ReviewOut]
    next_cursor: str | None


@routes.get(
    "/api/coaches/{id}/reviews",
    summary="Page through a coach's reviews, newest first",
    input=ReviewQuery,
    responses={200: ReviewPageOut},
    access="public",
    errors=[400, 404],
)
async def coach_reviews(request: web.Request, query: ReviewQuery) -> web.StreamResponse:
    viewer = await optional_principal(request)
    page = await request.app[COACHING].reviews.page(
        uuid_param(request),
        viewer=viewer.user_id if viewer else None,
        is_admin=viewer is not None and viewer.role == Role.ADMIN,
        limit=query.limit,
        cursor=query.cursor,
    )
    return respond(ReviewPageOut.model_validate(page))


class ReviewIn(Input):
    rating: int = Field(ge=1, le=5, description="1 to 5 stars.")
    text: str = Field(default="", max_length=TEXT_MAX)
    anonymous: bool = Field(
        default=True,
        description="Anonymous unless false; then the review shows your first name and "
        "initial, never your full name.",
    )


class ResponseIn(Input):
    text: str = Field(min_length=1, max_length=RESPONSE_MAX)


class HideIn(Input):
    reason: str = Field(min_length=1, max_length=HIDE_REASON_MAX)


@routes.post(
    "/api/bookings/{id}/review",
    summary="Review your completed session",
    input=ReviewIn,
    responses={201: ReviewOut},
    access="user",
    errors=[404, 409, 422],
    description="Only the client of a completed session, once. The coach's rating, its "
    "spread and the directory's rating order follow at once. 404 for a booking that is not "
    "yours as its client; 409 `review_not_allowed` before the session is completed, 409 "
    "`already_reviewed` for a second review.",
)
async def write_review(request: web.Request, body: ReviewIn) -> web.StreamResponse:
    caller = await require(request)
    written = await request.app[COACHING].reviews.write(
        caller.user_id,
        uuid_param(request),
        rating=body.rating,
        text=body.text,
        anonymous=body.anonymous,
    )
    return respond(ReviewOut.model_validate(written), status=201)


@routes.post(
    "/api/reviews/{id}/response",
    summary="Answer a review of yours, once",
    input=ResponseIn,
    responses={200: ReviewOut},
    access="coach",
    errors=[404, 409, 422],
    description="Shown under the review on your profile. 404 for a review of another coach; "
    "409 `already_responded` for a second answer.",
)
async def respond_to_review(request: web.Request, body: ResponseIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    answered = await request.app[COACHING].reviews.respond(
        caller.user_id, uuid_param(request), body.text
    )
    return respond(ReviewOut.model_validate(answered))


@routes.post(
    "/api/admin/reviews/{id}/hide",
    summary="Hide an abusive review",
    input=HideIn,
    responses={200: ReviewOut},
    access="admin",
    errors=[404, 409, 422],
    description="The review is kept with the reason, who hid it and when, and no longer "
    "shown or counted in the coach's rating. Audited.",
)
async def hide_review(request: web.Request, body: HideIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    hidden = await request.app[COACHING].reviews.hide(
        caller.user_id, uuid_param(request), body.reason, address=request_address(request)
    )
    return respond(ReviewOut.model_validate(hidden))
