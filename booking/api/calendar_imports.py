"""A coach's own calendars, imported so that their busy time blocks slots here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field, model_validator

from booking.api.scheduling import SCHEDULING
from booking.services.calendar_imports import CalendarView, Source
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="availability")

CALENDARS = "/api/coaches/me/calendars"


class CalendarIn(Input):
    kind: Literal["ical", "caldav"] = Field(
        description="`ical`: a plain iCalendar URL (https, or webcal), often a secret one; "
        "`caldav`: a CalDAV calendar collection's URL with a user name and password."
    )
    url: str = Field(min_length=8, max_length=2000, description="The calendar's address.")
    label: str = Field(
        default="My calendar", min_length=1, max_length=80, description="Your name for it."
    )
    username: str = Field(default="", max_length=200, description="CalDAV only.")
    password: str = Field(default="", max_length=500, description="CalDAV only; kept sealed.")

    @model_validator(mode="after")
    def _login_for_caldav(self) -> CalendarIn:
        if self.kind == "caldav" and not self.username:
            raise ValueError("a CalDAV calendar needs a username (and its password)")
        if self.kind == "ical" and (self.username or self.password):
            raise ValueError("an iCal URL takes no username or password")
        return self


class CalendarOut(Output):
    id: uuid.UUID
    kind: str
    label: str
    host: str = Field(description="Where it is read from (the full URL is kept sealed).")
    status: str = Field(description="`ok`, or `failing` when the last read failed.")
    last_error: str | None = Field(description="Why the last read failed, if it did.")
    last_success_at: datetime | None
    last_attempt_at: datetime
    busy_count: int = Field(description="Busy intervals read at the last success.")

    @classmethod
    def of(cls, view: CalendarView) -> CalendarOut:
        return cls.model_validate(view)


class CalendarsOut(Output):
    calendars: list[CalendarOut]


@routes.get(
    CALENDARS,
    summary="Your imported calendars, each with how its last read went",
    responses={200: CalendarsOut},
    access="coach",
    errors=[404],
)
async def list_calendars(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    views = await request.app[SCHEDULING].imports.of_coach(caller.user_id)
    return respond(CalendarsOut(calendars=[CalendarOut.of(v) for v in views]))


@routes.post(
    CALENDARS,
    summary="Import a calendar: its busy time blocks your slots",
    input=CalendarIn,
    responses={201: CalendarOut},
    access="coach",
    errors=[404, 409, 422],
    description=(
        "The calendar is read before anything is stored: an unreachable, refused or malformed "
        "address answers a problem detail and stores nothing. Only the start and end of busy "
        "events are kept, never what they are."
    ),
)
async def add_calendar(request: web.Request, body: CalendarIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    source = Source(body.kind, body.url, body.username, body.password)
    view = await request.app[SCHEDULING].imports.add(
        caller.user_id, source, body.label, address=request_address(request)
    )
    return respond(CalendarOut.of(view), status=201)


@routes.delete(
    CALENDARS + "/{calendar_id}",
    summary="Stop importing a calendar (its busy time is forgotten)",
    responses={204: None},
    access="coach",
    errors=[404],
)
async def delete_calendar(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    await request.app[SCHEDULING].imports.remove(
        caller.user_id, uuid_param(request, "calendar_id"), address=request_address(request)
    )
    return respond(None)


@routes.post(
    CALENDARS + "/{calendar_id}/refresh",
    summary="Read an imported calendar again now",
    responses={200: CalendarOut},
    access="coach",
    errors=[404],
)
async def refresh_calendar(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].imports.refresh(
        caller.user_id, uuid_param(request, "calendar_id"), address=request_address(request)
    )
    return respond(CalendarOut.of(view))
