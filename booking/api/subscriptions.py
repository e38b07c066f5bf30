"""A coach's private calendar feed: issue (or rotate), look at, revoke; and the feed itself."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field

from booking.api.calendar import CONTENT_TYPE, feed_ics
from booking.api.scheduling import SCHEDULING
from booking.services.subscriptions import SubscriptionView
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, NoInput, Output, respond

routes = ApiRoutes(tag="availability")

FEED = "/api/coaches/me/calendar-feed"


class SubscriptionOut(Output):
    active: bool = Field(description="Whether a feed URL works now.")
    created_at: datetime | None = Field(description="When the working URL was issued.")
    url: str | None = Field(
        description="The secret feed URL: only in the answer that issues it (it is stored "
        "hashed); subscribe to it from a calendar app and keep it private."
    )

    @classmethod
    def of(cls, view: SubscriptionView) -> SubscriptionOut:
        return cls(active=view.active, created_at=view.created_at, url=view.url)


@routes.get(
    FEED,
    summary="Your calendar feed: whether one is active",
    responses={200: SubscriptionOut},
    access="coach",
    errors=[404],
)
async def feed_status(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].subscriptions.status(caller.user_id)
    return respond(SubscriptionOut.of(view))


@routes.post(
    FEED,
    summary="Issue a calendar feed URL (any earlier one stops working)",
    responses={201: SubscriptionOut},
    access="coach",
    errors=[404],
)
async def issue_feed(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].subscriptions.issue(
        caller.user_id, address=request_address(request)
    )
    return respond(SubscriptionOut.of(view), status=201)


@routes.delete(
    FEED,
    summary="Revoke your calendar feed URL",
    responses={204: None},
    access="coach",
    errors=[404],
)
async def revoke_feed(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    await request.app[SCHEDULING].subscriptions.revoke(
        caller.user_id, address=request_address(request)
    )
    return respond(None)


@routes.get(
    "/api/calendar-feeds/{secret}.ics",
    summary="A coach's sessions as an iCalendar subscription",
    responses={200: CONTENT_TYPE},
    access="public",
    errors=[404],
    description=(
        "The secret in the path is the credential (calendar apps send no other). Sessions "
        "from 30 days ago on, each named with the client's first name only; never cached."
    ),
)
async def calendar_feed(request: web.Request, _: NoInput) -> web.StreamResponse:
    entries = await request.app[SCHEDULING].subscriptions.feed(
        request.match_info["secret"], address=request_address(request)
    )
    return web.Response(
        body=feed_ics(entries),
        content_type=CONTENT_TYPE,
        charset="utf-8",
        headers={"Cache-Control": "private, no-store, max-age=0"},
    )
