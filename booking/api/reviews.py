"""Reading a coach's reviews (writing them comes with bookings, issue 3)."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from booking.api.coaches import ReviewOut
from booking.api.coaching import COACHING
from realtime.auth.access import optional_principal
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
