"""A phone session's dial-in details for its participants: the number to call and their PIN."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from booking.api.bookings import party
from booking.api.scheduling import SCHEDULING
from realtime.auth.access import require
from realtime.errors import Code, NotFound
from realtime.http import ApiRoutes, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")


class DialInOut(Output):
    number: str = Field(description="The number to call, E.164 (PHONE_NUMBER).")
    pin: str = Field(description="Your 6-digit PIN for this session: type it, then #.")


@routes.get(
    "/api/bookings/{id}/phone",
    summary="How to join a phone session by telephone",
    input=NoInput,
    responses={200: DialInOut},
    access="user",
    errors=(404, 409),
    description="For each participant their own PIN (the same on every asking). 404 when "
    "dial-in is off on this server or the booking is not yours; 409 `phone_not_offered` for a "
    "session that is not a phone session. The PIN works inside the room's join window.",
)
async def dial_in(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request)
    pins = request.app[SCHEDULING].phone_pins
    if not pins.number:
        raise NotFound(Code.NOT_FOUND, "Dial-in is not enabled on this server.")
    pin = await pins.of(party(caller), uuid_param(request))
    return respond(DialInOut(number=pins.number, pin=pin))
