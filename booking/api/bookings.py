"""Bookings: hold a slot (step 1), read one, list one's own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncConnection

from booking.api.scheduling import SCHEDULING
from booking.services.bookings import BookingView, Party
from realtime import idempotency
from realtime.auth.access import Principal, require
from realtime.auth.models import Role
from realtime.errors import Code, Forbidden
from realtime.http import ApiRoutes, Input, Instant, NoInput, Output, respond, uuid_param
from realtime.limits import LIMITER, Kind

routes = ApiRoutes(tag="bookings")

SessionType = Literal["video", "phone", "chat"]
StatusName = Literal[
    "held",
    "confirmed",
    "in_progress",
    "completed",
    "canceled_by_client",
    "canceled_by_coach",
    "no_show_client",
    "no_show_coach",
    "expired",
    "interrupted",
]


class HoldIn(Input):
    coach_id: uuid.UUID
    start: Instant = Field(description="Slot start, ISO 8601 with an offset.")
    session_type: SessionType
    duration: int = Field(ge=5, le=240, description="Minutes; one the coach offers.")


class PriceOut(Output):
    minor: int = Field(description="Integer minor units (cents).")
    currency: str


class BookingOut(Output):
    id: uuid.UUID
    coach_id: uuid.UUID
    coach_name: str
    client_id: uuid.UUID
    client_name: str | None = Field(
        description="The client's display name, so the coach sees whom they meet (null only "
        "in the answer to a hold, which the client makes)."
    )
    session_type: str
    duration: int
    starts_at: datetime
    ends_at: datetime
    status: str
    hold_expires_at: datetime | None = Field(description="Set while held: pay before this.")
    price: PriceOut
    created_at: datetime
    actions: list[str] = Field(description="State-machine events this booking accepts now.")
    unread_messages: int = Field(
        0,
        description="Chat messages from the other participant you have not marked read "
        "(`chat:read`); counted in listings, 0 elsewhere.",
    )
    reviewed: bool = Field(
        False, description="The session has its client's review (in listings; false elsewhere)."
    )
    dial_in: bool = Field(
        False,
        description="Its participants may also join by telephone (`GET /api/bookings/{id}/phone` "
        "gives the number and your PIN): every phone session, and video sessions whose coach "
        "allows dial-in, when the server has dial-in on.",
    )

    @classmethod
    def of(cls, booking: BookingView) -> BookingOut:
        return cls(
            id=booking.id,
            coach_id=booking.coach_id,
            coach_name=booking.coach_name,
            client_id=booking.client_id,
            client_name=booking.client_name,
            session_type=booking.session_type,
            duration=booking.duration,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            status=booking.status,
            hold_expires_at=booking.hold_expires_at,
            price=PriceOut(minor=booking.price.minor, currency=booking.price.currency),
            created_at=booking.created_at,
            actions=booking.actions,
            unread_messages=booking.unread_messages,
            reviewed=booking.reviewed,
            dial_in=booking.dial_in,
        )


class BookingListIn(Input):
    role: Literal["client", "coach"] = Field(
        "client", description="Your bookings as the client, or as the coach."
    )
    status: list[StatusName] = Field(default_factory=list, description="Any of these statuses.")
    when: Literal["upcoming", "past", "all"] = "all"
    limit: int = Field(50, ge=1, le=200)


class BookingListOut(Output):
    items: list[BookingOut]


def party(principal: Principal) -> Party:
    return Party(user_id=principal.user_id, is_admin=principal.role is Role.ADMIN)


@routes.post(
    "/api/bookings",
    summary="Hold a slot (booking step 1)",
    input=HoldIn,
    responses={201: BookingOut},
    access="client",
    errors=(403, 404, 409, 429),
    idempotent="in_transaction",
)
async def hold_slot(request: web.Request, body: HoldIn) -> web.StreamResponse:
    """Holds the slot for HOLD_MINUTES while the client pays; 409 `slot_taken` if it is not
    free, 409 `hold_limit` or `hold_limit_per_coach` past the client's live holds, 429
    `hold_cooldown` after too many unpaid holds expired, 429 `rate_limited` past the hold
    requests per account or address. Send an `Idempotency-Key` header so a retry returns the
    first answer."""
    caller = await require(request, Role.CLIENT)
    if not caller.email_verified:
        raise Forbidden(
            Code.EMAIL_UNVERIFIED,
            "Confirm your email address first: open the link we sent you, or ask for a new "
            "one with POST /api/auth/verify-email/resend.",
        )
    limiter = request.app[LIMITER]
    await limiter.count(
        (Kind.HOLD_ACCOUNT, str(caller.user_id)), (Kind.HOLD_ADDRESS, limiter.address(request))
    )
    recorder = idempotency.recorder(request)
    answer: web.Response | None = None

    async def record(conn: AsyncConnection, booking: BookingView) -> None:
        # With a key, the answer is stored in the hold's own transaction.
        nonlocal answer
        answer = respond(BookingOut.of(booking), status=201)
        if recorder is not None:
            await recorder.record(conn, answer)

    await request.app[SCHEDULING].bookings.place_hold(
        caller.user_id,
        body.coach_id,
        body.start,
        body.session_type,
        body.duration,
        before_commit=record,
    )
    assert answer is not None  # place_hold ran `record` before it returned
    return answer


@routes.get(
    "/api/bookings",
    summary="List my bookings",
    input=BookingListIn,
    responses={200: BookingListOut},
)
async def list_bookings(request: web.Request, query: BookingListIn) -> web.StreamResponse:
    caller = await require(request)
    items = await request.app[SCHEDULING].bookings.listing(
        party(caller),
        as_coach=query.role == "coach",
        statuses=list(query.status),
        when=query.when,
        limit=query.limit,
    )
    return respond(BookingListOut(items=[BookingOut.of(b) for b in items]))


@routes.get(
    "/api/bookings/{id}",
    summary="One of my bookings",
    responses={200: BookingOut},
    errors=(404,),
)
async def get_booking(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request)
    booking = await request.app[SCHEDULING].bookings.get(party(caller), uuid_param(request))
    return respond(BookingOut.of(booking))
