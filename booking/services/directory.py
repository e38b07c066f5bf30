"""The coach directory: listed coaches, filtered, sorted and paged by keyset.

Filters combine with AND. `specialties`: the coach has all of them. `languages`: the coach speaks
any of them (a bare language such as `pt` matches every regional form through the primary
subtag; `pt-BR` matches only `pt-BR`). `min_price`/`max_price`: the coach offers some session type
(`session_type`, if given: that one) at an hourly rate in range. Prices are compared in one
currency only, never €81 with $81: a price range or the price sort applies to coaches who
charge in `currency` (USD unless given), and a currency given alone filters on it.
`min_rating`: average stars at least this. `available_from`/`available_to`: the coach has
weekly hours in the window (`booking.policy.availability`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import CURRENCIES
from booking.policy import availability, cursors, profiles
from booking.services.coaches import CoachCard, OnlineStatus, cards
from booking.storage import directory as directory_store
from booking.storage import specialties as specialty_store
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import BadRequest, Code, FieldError, Unprocessable, ValidationFailed

DEFAULT_CURRENCY = "USD"

Sort = Literal["relevance", "rating", "price"]


@dataclass(frozen=True)
class DirectoryQuery:
    specialties: tuple[str, ...] = ()
    session_type: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    languages: tuple[str, ...] = ()
    min_rating_x100: int | None = None
    available_from: datetime | None = None
    available_to: datetime | None = None
    sort: Sort = "relevance"
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class DirectoryPage:
    items: list[CoachCard]
    next_cursor: str | None


class Directory:
    def __init__(
        self, db: Database, clock: Clock, cursor_key: bytes, presence: OnlineStatus
    ) -> None:
        self.db = db
        self.clock = clock
        self.cursor_key = cursor_key
        self.presence = presence
        # zoneinfo keeps zones only while someone holds them; reading one from disk per
        # request and zone would cost more than the query.
        self._zones: dict[str, ZoneInfo | None] = {}

    async def search(self, query: DirectoryQuery) -> DirectoryPage:
        _check_ranges(query)
        tags, primaries = _languages(query.languages)
        ordering = _ordering(query)
        after = self._position(ordering, query.cursor) if query.cursor else None
        currency = query.currency
        priced = query.min_price is not None or query.max_price is not None
        if currency is None and (priced or query.sort == "price"):
            currency = DEFAULT_CURRENCY
        async with self.db.session() as session:
            hours = None
            if query.available_from is not None and query.available_to is not None:
                hours = await self._hours(session, query.available_from, query.available_to)
            found = await directory_store.search(
                session,
                directory_store.Search(
                    now=self.clock.now(),
                    limit=query.limit + 1,
                    sort=query.sort,
                    specialties=tuple(dict.fromkeys(query.specialties)),
                    session_type=query.session_type,
                    min_price=query.min_price,
                    max_price=query.max_price,
                    currency=currency,
                    language_tags=tags,
                    language_primaries=primaries,
                    min_rating_x100=query.min_rating_x100,
                    hours=hours,
                    after=after,
                ),
            )
            if not found and query.specialties:
                # No coach has an unknown specialty, so only an empty page needs the check
                # (one statement fewer for every other page).
                await _check_specialties(session, query.specialties)
            items = await cards(session, [f.coach for f in found[: query.limit]], self.presence)
        next_cursor = None
        if len(found) > query.limit:
            values = found[query.limit - 1].sort_values
            next_cursor = cursors.encode(self.cursor_key, ordering, values)
        return DirectoryPage(items, next_cursor)

    async def _hours(
        self, session: AsyncSession, start: datetime, end: datetime
    ) -> list[directory_store.HoursGroup]:
        """The window as wall-clock ranges per group of zones in use ([] for a week or more,
        when any weekly hours will do)."""
        if end - start >= availability.WEEK:
            return []
        zones = {}
        for name in await directory_store.zones_in_use(session):
            if name not in self._zones:
                self._zones[name] = profiles.time_zone(name)
            zone = self._zones[name]
            if zone is not None:
                zones[name] = zone
        return [
            (names, [(r.weekday, r.start_minute, r.end_minute) for r in ranges])
            for ranges, names in availability.by_zone(start, end, zones)
        ]

    def _position(self, ordering: str, cursor: str) -> list[Any]:
        try:
            values = cursors.decode(self.cursor_key, ordering, cursor)
            *sort_values, last_id = values
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in sort_values):
                raise ValueError("sort values are integers")
            return [*sort_values, uuid.UUID(str(last_id))]
        except ValueError:
            raise BadRequest(
                Code.INVALID_CURSOR,
                "The cursor is not one this server gave out for this sort order; start again "
                "without it.",
            ) from None


async def _check_specialties(session: AsyncSession, slugs: tuple[str, ...]) -> None:
    known = await specialty_store.known(session, slugs)
    unknown = [
        FieldError("specialty", f"{slug!r} is not on the specialty list")
        for slug in slugs
        if slug not in known
    ]
    if unknown:
        raise Unprocessable(Code.UNKNOWN_SPECIALTY, unknown)


def _check_ranges(query: DirectoryQuery) -> None:
    errors = []
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.min_price > query.max_price
    ):
        errors.append(
            FieldError("min_price", "the lowest price you asked for is above the highest")
        )
    if (query.available_from is None) != (query.available_to is None):
        missing = "available_to" if query.available_to is None else "available_from"
        errors.append(FieldError(missing, "a time window needs both its start and its end"))
    elif (
        query.available_from is not None
        and query.available_to is not None
        and query.available_to <= query.available_from
    ):
        errors.append(FieldError("available_to", "the time window ends before it starts"))
    if errors:
        raise ValidationFailed(errors)
    if query.currency is not None and query.currency not in CURRENCIES:
        raise Unprocessable(
            Code.UNSUPPORTED_CURRENCY,
            [
                FieldError(
                    "currency",
                    f"prices cannot be shown in {query.currency!r}: coaches here charge in "
                    f"{', '.join(sorted(CURRENCIES))}",
                )
            ],
        )


def _languages(raw: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Exact tags (with a region, script, ...) and bare languages to match by primary subtag."""
    tags: list[str] = []
    primaries: list[str] = []
    bad = []
    for value in raw:
        tag = profiles.language(value)
        if tag is None:
            bad.append(FieldError("language", f"{value!r} is not a BCP 47 language tag"))
        elif tag.tag == tag.primary:
            primaries.append(tag.primary)
        else:
            tags.append(tag.tag)
    if bad:
        raise Unprocessable(Code.UNKNOWN_LANGUAGE, bad)
    return tuple(dict.fromkeys(tags)), tuple(dict.fromkeys(primaries))


def _ordering(query: DirectoryQuery) -> str:
    if query.sort == "price" and query.session_type is not None:
        return f"price:{query.session_type}"
    return query.sort
