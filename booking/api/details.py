"""Session details (booking step 2): set by the booking's client, read by client and coach."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import (
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

from booking.api.bookings import party
from booking.api.scheduling import SCHEDULING
from booking.services.details import SessionDetails
from realtime.audit_api import request_address
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.errors import FieldError, ValidationFailed
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="bookings")

AnswerKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
AnswerValue = StrictBool | StrictInt | Annotated[StrictStr, StringConstraints(max_length=1000)]


class DetailsIn(Input):
    """Only the fields sent change; `null` clears one."""

    focus_area: str | None = Field(None, max_length=200, description="What to work on.")
    notes_for_coach: str | None = Field(
        None, max_length=4000, description="What the client wants the coach to know."
    )
    preferred_name: str | None = Field(None, max_length=80)
    assessment_answers: dict[AnswerKey, AnswerValue] | None = Field(
        None,
        max_length=50,
        description="Relationship-assessment answers: up to 50, each a string (up to 1000 "
        "characters), a whole number or a boolean.",
    )

    @field_validator("assessment_answers", mode="wrap")
    @classmethod
    def _answers(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One plain message naming the bad answers, not one per member of the union."""
        try:
            return handler(value)
        except ValidationError as exc:
            keys = sorted({str(e["loc"][0]) for e in exc.errors() if e["loc"]})
            if not keys:
                raise PydanticCustomError("answers", str(exc.errors()[0]["msg"])) from None
            raise PydanticCustomError(
                "answers",
                "{keys}: each answer must be a string of up to 1000 characters, a whole number "
                "or a boolean, named by 1 to 100 characters",
                {"keys": ", ".join(keys)},
            ) from None


class DetailsOut(Output):
    focus_area: str | None
    notes_for_coach: str | None
    preferred_name: str | None
    assessment_answers: dict[str, str | int | bool]

    @classmethod
    def of(cls, details: SessionDetails) -> DetailsOut:
        return cls(
            focus_area=details.focus_area,
            notes_for_coach=details.notes_for_coach,
            preferred_name=details.preferred_name,
            assessment_answers=details.assessment_answers,
        )


@routes.patch(
    "/api/bookings/{id}",
    summary="Add session details (booking step 2)",
    input=DetailsIn,
    responses={200: DetailsOut},
    access="client",
    errors=(404, 409),
)
async def update_details(request: web.Request, body: DetailsIn) -> web.StreamResponse:
    """The booking's client tells the coach about the session while the booking is held or
    confirmed. The details are private: stored encrypted, shown only to client and coach."""
    caller = await require(request, Role.CLIENT)
    changes = body.model_dump(include=body.model_fields_set)
    if not changes:
        raise ValidationFailed([FieldError("(body)", "send at least one field to change")])
    details = await request.app[SCHEDULING].details.update(
        party(caller), uuid_param(request), changes, address=request_address(request)
    )
    return respond(DetailsOut.of(details))


@routes.get(
    "/api/bookings/{id}/details",
    summary="A booking's session details",
    responses={200: DetailsOut},
    errors=(404,),
)
async def read_details(request: web.Request, _: NoInput) -> web.StreamResponse:
    """For the booking's client and its coach only; anyone else gets 404."""
    caller = await require(request)
    details = await request.app[SCHEDULING].details.read(
        party(caller), uuid_param(request), address=request_address(request)
    )
    return respond(DetailsOut.of(details))
