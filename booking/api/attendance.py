"""A session's attendance and outcome, and an admin's resolution of an interrupted one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field

from booking.api.bookings import party
from booking.api.scheduling import SCHEDULING
from booking.policy.states import Status
from booking.services.attendance import AttendanceView
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")


class StayOut(Output):
    role: str = Field(description="`coach` or `client`.")
    via: str = Field(description="`browser` (or `phone`, for a caller through the bridge).")
    joined_at: datetime
    left_at: datetime | None = Field(description="None while still in the room.")


class AttendanceOut(Output):
    booking_id: uuid.UUID
    status: str
    outcome: str | None = Field(
        description="`completed`, `no_show_client`, `no_show_coach` or `interrupted` once "
        "decided (at the hard stop); None before."
    )
    together_seconds: int = Field(description="Time both were in the room, in the booked time.")
    stays: list[StayOut] = Field(description="Each join to its leave, in server time.")

    @classmethod
    def of(cls, view: AttendanceView) -> AttendanceOut:
        return cls.model_validate(view)


class ResolutionIn(Input):
    outcome: Literal["completed", "no_show_client", "no_show_coach"]


@routes.get(
    "/api/bookings/{id}/attendance",
    summary="Who was in the session, when, and what it was decided to be",
    responses={200: AttendanceOut},
    access="user",
    errors=[404],
    description="For the booking's coach and client, and admins; 404 for anyone else.",
)
async def attendance(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request)
    view = await request.app[SCHEDULING].attendance.view(party(caller), uuid_param(request))
    return respond(AttendanceOut.of(view))


@routes.post(
    "/api/admin/bookings/{id}/outcome",
    summary="Resolve an interrupted session",
    input=ResolutionIn,
    responses={200: AttendanceOut},
    access="admin",
    errors=[404, 409],
    description="Completed pays the coach's share; a no-show moves the money the refund "
    "policy gives it (the coach's no-show refunds the client in full). 409 unless the "
    "session is `interrupted`. Audited.",
)
async def resolve(request: web.Request, body: ResolutionIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    booking_id = uuid_param(request)
    view = await request.app[SCHEDULING].attendance.resolve(
        caller.user_id, booking_id, Status(body.outcome), address=request_address(request)
    )
    return respond(AttendanceOut.of(view))
