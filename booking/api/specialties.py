"""The managed specialty list: anyone reads it, admins extend it."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import Field

from booking.api.coaching import COACHING
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond

routes = ApiRoutes(tag="coaches")

Slug = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class SpecialtyOut(Output):
    slug: str
    name: str
    description: str


class SpecialtyListOut(Output):
    items: list[SpecialtyOut]


class NewSpecialtyIn(Input):
    slug: Slug
    name: str = Field(min_length=2, max_length=120)
    description: str = Field(default="", max_length=2000)


@routes.get(
    "/api/specialties",
    summary="List the specialties coaches may claim",
    responses={200: SpecialtyListOut},
    access="public",
)
async def list_specialties(request: web.Request, _: NoInput) -> web.StreamResponse:
    items = await request.app[COACHING].specialties.listing()
    return respond(SpecialtyListOut.model_validate({"items": items}))


@routes.post(
    "/api/admin/specialties",
    summary="Add a specialty to the managed list",
    input=NewSpecialtyIn,
    responses={201: SpecialtyOut},
    access="admin",
    errors=[409],
)
async def create_specialty(request: web.Request, body: NewSpecialtyIn) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    created = await request.app[COACHING].specialties.create(body.slug, body.name, body.description)
    return respond(SpecialtyOut.model_validate(created), status=201)
