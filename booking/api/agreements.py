"""The professional agreement applicants accept (by its version)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from booking.api.coaching import COACHING
from realtime.http import ApiRoutes, NoInput, Output, respond

routes = ApiRoutes(tag="coaches")


class AgreementOut(Output):
    version: str
    title: str
    body: str
    published_at: datetime


@routes.get(
    "/api/agreements/current",
    summary="Read the current professional agreement",
    responses={200: AgreementOut},
    access="public",
    errors=[404],
)
async def current_agreement(request: web.Request, _: NoInput) -> web.StreamResponse:
    agreement = await request.app[COACHING].agreements.current()
    return respond(AgreementOut.model_validate(agreement))
