"""The coach directory: `GET /api/coaches` (docs/coaches.md has the filters and sorting)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from aiohttp import web
from pydantic import Field, field_validator

from booking.api.coaches import CoachCardOut
from booking.api.coaching import COACHING
from booking.api.profiles import SessionType
from booking.policy.profiles import MAX_RATE_MINOR
from booking.services.directory import DirectoryQuery
from realtime.http import ApiRoutes, Input, Instant, Output, respond

routes = ApiRoutes(tag="coaches")


class DirectoryParams(Input):
    specialty: list[str] = Field(
        default_factory=list, max_length=10, description="The coach has all of these (slugs)."
    )
    session_type: SessionType | None = None
    min_price: int | None = Field(
        default=None,
        ge=0,
        le=MAX_RATE_MINOR,
        description="Hourly, minor units; needs session_type.",
    )
    max_price: int | None = Field(default=None, ge=0, le=MAX_RATE_MINOR)
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="Currency of the price range (USD if omitted); alone, filters on it.",
    )
    language: list[str] = Field(
        default_factory=list, max_length=10, description="BCP 47; the coach speaks any of these."
    )
    min_rating: Decimal | None = Field(default=None, ge=1, le=5, decimal_places=1)
    available_from: Instant | None = Field(
        default=None, description="ISO 8601 with offset; with available_to."
    )
    available_to: Instant | None = None
    sort: Literal["relevance", "rating", "price"] = "relevance"
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, max_length=1000)

    @field_validator("available_from", "available_to", mode="before")
    @classmethod
    def _plus_sign(cls, value: Any) -> Any:
        # An unencoded "+" in a query string arrives as a space: "13:00:00 01:00".
        if isinstance(value, str) and " " in value.strip():
            return value.strip().replace(" ", "+")
        return value

    def query(self) -> DirectoryQuery:
        return DirectoryQuery(
            specialties=tuple(self.specialty),
            session_type=self.session_type,
            min_price=self.min_price,
            max_price=self.max_price,
            currency=self.currency,
            languages=tuple(self.language),
            min_rating_x100=int(self.min_rating * 100) if self.min_rating is not None else None,
            available_from=self.available_from,
            available_to=self.available_to,
            sort=self.sort,
            limit=self.limit,
            cursor=self.cursor,
        )


class DirectoryPageOut(Output):
    items: list[CoachCardOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


@routes.get(
    "/api/coaches",
    summary="Find verified coaches by specialty, session type, price, language, rating, hours",
    input=DirectoryParams,
    responses={200: DirectoryPageOut},
    access="public",
    errors=[400],
)
async def directory(request: web.Request, params: DirectoryParams) -> web.StreamResponse:
    page = await request.app[COACHING].directory.search(params.query())
    return respond(DirectoryPageOut.model_validate(page))
