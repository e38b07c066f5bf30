"""Specialisation badges: anyone lists them; admins create, grant and revoke them."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from booking.api.coaching import COACHING
from booking.api.specialties import Slug
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, path_param, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class BadgeOut(Output):
    slug: str
    name: str
    description: str


class BadgeListOut(Output):
    items: list[BadgeOut]


class NewBadgeIn(Input):
    slug: Slug
    name: str = Field(min_length=2, max_length=120)
    description: str = Field(default="", max_length=2000)


@routes.get(
    "/api/badges",
    summary="List the badges admins can grant",
    responses={200: BadgeListOut},
    access="public",
)
async def list_badges(request: web.Request, _: NoInput) -> web.StreamResponse:
    items = await request.app[COACHING].badges.listing()
    return respond(BadgeListOut.model_validate({"items": items}))


@routes.post(
    "/api/admin/badges",
    summary="Create a badge",
    input=NewBadgeIn,
    responses={201: BadgeOut},
    access="admin",
    errors=[409],
)
async def create_badge(request: web.Request, body: NewBadgeIn) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    created = await request.app[COACHING].badges.create(body.slug, body.name, body.description)
    return respond(BadgeOut.model_validate(created), status=201)


@routes.put(
    "/api/admin/coaches/{id}/badges/{slug}",
    summary="Grant a badge to a coach (idempotent)",
    responses={204: None},
    access="admin",
    errors=[404, 422],
)
async def grant_badge(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    await request.app[COACHING].badges.grant(
        caller.user_id, uuid_param(request), path_param(request, "slug")
    )
    return respond(None)


@routes.delete(
    "/api/admin/coaches/{id}/badges/{slug}",
    summary="Revoke a coach's badge (idempotent)",
    responses={204: None},
    access="admin",
    errors=[404, 422],
)
async def revoke_badge(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    await request.app[COACHING].badges.revoke(
        caller.user_id, uuid_param(request), path_param(request, "slug")
    )
    return respond(None)
