"""A client's saved coaches."""

from __future__ import annotations

from aiohttp import web

from booking.api.coaches import CoachCardOut
from booking.api.coaching import COACHING
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class FavouritesOut(Output):
    items: list[CoachCardOut]


@routes.get(
    "/api/me/favourites",
    summary="List your saved coaches (listed ones only), most recent first",
    responses={200: FavouritesOut},
    access="client",
)
async def list_favourites(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.CLIENT)
    items = await request.app[COACHING].favourites.listing(caller.user_id)
    return respond(FavouritesOut.model_validate({"items": items}))


@routes.put(
    "/api/me/favourites/{coach_id}",
    summary="Save a coach (idempotent)",
    responses={204: None},
    access="client",
    errors=[404, 422],
)
async def add_favourite(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.CLIENT)
    await request.app[COACHING].favourites.add(caller.user_id, uuid_param(request, "coach_id"))
    return respond(None)


@routes.delete(
    "/api/me/favourites/{coach_id}",
    summary="Forget a saved coach (idempotent)",
    responses={204: None},
    access="client",
    errors=[422],
)
async def remove_favourite(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.CLIENT)
    await request.app[COACHING].favourites.remove(caller.user_id, uuid_param(request, "coach_id"))
    return respond(None)
