"""The public registers admins check credentials in: admins list, set and remove them; each
credential an application shows carries the register that covers it (`register`)."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from booking.api.coaching import COACHING
from booking.api.profiles import HttpsUrl
from booking.policy.registers import Register
from booking.services.registers import RegisterDraft
from realtime.auth.access import require
from realtime.auth.models import Role
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param

routes = ApiRoutes(tag="coaches")


class RegisterIn(Input):
    issuing_country: str = Field(pattern=r"^[A-Z]{2}$", examples=["US"])
    issuing_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$",
        description="ISO 3166-2 (`US-CA`); null: the whole country.",
    )
    license_type: str | None = Field(
        default=None,
        max_length=120,
        description="The licence type it covers, as coaches name it (matched without case); "
        "null: every licence issued there.",
    )
    name: str = Field(min_length=2, max_length=200, examples=["Board of Behavioral Sciences"])
    url: HttpsUrl = Field(description="The register's public search page (https).")


class RegisterOut(Output):
    id: str
    issuing_country: str
    issuing_region: str = Field(description='"" for the whole country.')
    license_type: str = Field(description='As matched (case-folded); "" for every type.')
    name: str
    url: str


class RegisterListOut(Output):
    items: list[RegisterOut]


def _out(register: Register) -> RegisterOut:
    return RegisterOut.model_validate(register, from_attributes=True)


@routes.get(
    "/api/admin/registers",
    summary="The public registers credentials are checked in",
    responses={200: RegisterListOut},
    access="admin",
)
async def list_registers(request: web.Request, _: NoInput) -> web.StreamResponse:
    await require(request, Role.ADMIN)
    registers = await request.app[COACHING].registers.list()
    return respond(RegisterListOut(items=[_out(r) for r in registers]))


@routes.put(
    "/api/admin/registers",
    summary="Set the register for a country, region and licence type (added or replaced)",
    input=RegisterIn,
    responses={200: RegisterOut},
    access="admin",
    errors=[422],
)
async def put_register(request: web.Request, body: RegisterIn) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    draft = RegisterDraft(
        body.issuing_country, body.issuing_region, body.license_type, body.name, body.url
    )
    return respond(_out(await request.app[COACHING].registers.put(caller.user_id, draft)))


@routes.delete(
    "/api/admin/registers/{id}",
    summary="Remove a register",
    responses={204: None},
    access="admin",
    errors=[404, 422],
)
async def delete_register(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.ADMIN)
    await request.app[COACHING].registers.delete(caller.user_id, uuid_param(request))
    return respond(None)
