"""The directory query: listed coaches, filtered through the indexed link tables, in keyset order.

Each filter on a link table (specialty, language, session type and price) is an EXISTS on an
index that leads with the filtered value; rating and currency are columns of `coaches`; weekly
hours are probed per coach through `ix_weekly_hours_coach`. Each ordering has an index on
`coaches` ending with the id (the tie-breaker and last keyset value); price per session type
walks `ix_coach_offerings_type_rate`.

The planner's estimates go badly wrong on this data (chat sessions are cheap, so "chat at
150-210 an hour" matches nobody while the planner multiplies two selectivities and expects
thousands; a prepared statement's generic plan knows no values at all), and a LIMIT query that
walks the ordering's index on a wrong estimate may visit every coach before giving up. So:

- Each link filter is counted with an index-only count capped at COUNT_CAP (one statement for
  all). If one admits fewer, the query is driven from it: its coaches are collected first (a
  MATERIALIZED CTE the planner cannot flatten), the other filters are probed on them only, and
  what is left is sorted. At most COUNT_CAP coaches are visited.
- Otherwise every link filter admits many coaches, and the planner's own plan (usually a walk
  of the ordering's index, probing each coach) finds a page quickly.

Each request also sets `plan_cache_mode` to `force_custom_plan` and turns parallel workers off
for its transaction (see `search`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from booking.storage.coaches import (
    Coach,
    CoachLanguage,
    CoachOffering,
    CoachSpecialty,
    WeeklyHours,
)

Sort = Literal["relevance", "rating", "price"]
COUNT_CAP = 2500
# One group of zones and the (weekday, start minute, end minute) wall-clock ranges a window
# covers in each of them.
HoursGroup = tuple[Sequence[str], Sequence[tuple[int, int, int]]]


@dataclass(frozen=True)
class Search:
    now: datetime
    limit: int
    sort: Sort = "relevance"
    specialties: Sequence[str] = ()
    session_type: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    language_tags: Sequence[str] = ()
    language_primaries: Sequence[str] = ()
    min_rating_x100: int | None = None
    # None: no availability filter; []: a week or more, any weekly hours will do.
    hours: Sequence[HoursGroup] | None = None
    # The sort values of the last row already shown (see `sort_values`).
    after: Sequence[Any] | None = field(default=None)


@dataclass(frozen=True)
class Listed:
    """The columns of a coach the directory card shows (not the long texts)."""

    id: uuid.UUID
    display_name: str
    photo_url: str | None
    currency: str
    rating_x100: int
    rating_count: int
    years_experience: int
    time_zone: str


_CARD_COLUMNS = (
    Coach.id,
    Coach.display_name,
    Coach.photo_url,
    Coach.currency,
    Coach.rating_x100,
    Coach.rating_count,
    Coach.years_experience,
    Coach.time_zone,
)


@dataclass(frozen=True)
class Found:
    coach: Listed
    sort_values: list[Any]


async def search(session: AsyncSession, query: Search) -> list[Found]:
    """Up to `query.limit` listed coaches matching every filter, in the query's order."""
    if session.get_bind().dialect.name == "postgresql":
        # A plan made for one set of values must not serve the next (the plans differ by
        # orders of magnitude with the values), and parallel workers take longer to start
        # than a page of this query takes to find.
        await session.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
                " set_config('max_parallel_workers_per_gather', '0', true)"
            )
        )
    links = _links(query)
    driver = await _smallest(session, links, COUNT_CAP) if links else None
    return await _run(session, query, driver)


async def _run(session: AsyncSession, query: Search, driver: Link | None) -> list[Found]:
    statement, _ = _statement(query, driver)
    rows = await session.execute(statement.limit(query.limit))
    width = len(_CARD_COLUMNS)
    return [
        Found(
            Listed(*row[:width]), [str(v) if isinstance(v, uuid.UUID) else v for v in row[width:]]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Link:
    """A filter on a link table: its name and the coach ids it admits."""

    name: str
    ids: Select[uuid.UUID]


def _links(query: Search) -> list[Link]:
    """Each link-table filter as the set of coach ids it admits."""
    sources = [
        Link(
            f"specialty:{slug}",
            select(CoachSpecialty.coach_id).where(CoachSpecialty.specialty == slug),
        )
        for slug in query.specialties
    ]
    if query.session_type is not None:
        offered = select(CoachOffering.coach_id).where(
            CoachOffering.session_type == query.session_type
        )
        if query.min_price is not None:
            offered = offered.where(CoachOffering.rate_minor >= query.min_price)
        if query.max_price is not None:
            offered = offered.where(CoachOffering.rate_minor <= query.max_price)
        sources.append(Link("offering", offered))
    if query.language_tags or query.language_primaries:
        languages = (
            select(CoachLanguage.coach_id)
            .where(
                or_(
                    CoachLanguage.tag.in_(query.language_tags),
                    CoachLanguage.primary_tag.in_(query.language_primaries),
                )
            )
            .distinct()
        )
        sources.append(Link("language", languages))
    return sources


async def _smallest(session: AsyncSession, sources: Sequence[Link], cap: int) -> Link | None:
    """The link filter admitting fewest coaches, if it admits fewer than `cap`."""
    counts = [
        select(func.count()).select_from(source.ids.limit(cap).subquery()).scalar_subquery()
        for source in sources
    ]
    found = [int(n) for n in (await session.execute(select(*counts))).one()]
    smallest = min(range(len(sources)), key=lambda i: found[i])
    return sources[smallest] if found[smallest] < cap else None


def _position(values: Sequence[Any], keys: Sequence[Any]) -> Any:
    return tuple_(*(literal(v, k.type) for v, k in zip(values, keys, strict=True)))


async def zones_in_use(session: AsyncSession) -> list[str]:
    """Every distinct coach time zone, read by skipping along `ix_coaches_time_zone` (one index
    probe per zone rather than a scan of every coach)."""
    rows = await session.execute(
        text(
            "WITH RECURSIVE zones(name) AS ("
            " SELECT MIN(time_zone) FROM coaches"
            " UNION ALL"
            " SELECT (SELECT MIN(c.time_zone) FROM coaches c WHERE c.time_zone > zones.name)"
            " FROM zones WHERE zones.name IS NOT NULL"
            ") SELECT name FROM zones WHERE name IS NOT NULL"
        )
    )
    return [str(name) for (name,) in rows]


def _statement(query: Search, driver: Link | None = None) -> tuple[Select[Any], list[Any]]:
    """The query's statement and its sort keys; with a driver, from that filter's coaches (its
    own condition is then implied)."""
    skip = driver.name if driver is not None else None
    conditions: list[ColumnElement[bool] | TextClause] = [
        Coach.verification_status == "verified",
        Coach.reverify_by > query.now,
    ]
    for slug in query.specialties:
        if skip != f"specialty:{slug}":
            conditions.append(
                exists().where(
                    CoachSpecialty.coach_id == Coach.id, CoachSpecialty.specialty == slug
                )
            )
    offering_conditions = _offering_conditions(query)
    if query.currency is not None:
        conditions.append(Coach.currency == query.currency)
    if (query.language_tags or query.language_primaries) and skip != "language":
        conditions.append(
            exists().where(
                CoachLanguage.coach_id == Coach.id,
                or_(
                    CoachLanguage.tag.in_(query.language_tags),
                    CoachLanguage.primary_tag.in_(query.language_primaries),
                ),
            )
        )
    if query.min_rating_x100 is not None:
        conditions.append(Coach.rating_x100 >= query.min_rating_x100)
    if query.hours is not None:
        conditions.append(_hours_condition(query.hours))

    by_offering_price = query.sort == "price" and query.session_type is not None
    if query.sort == "price" and not by_offering_price:
        # A coach without offerings has no price to sort by (and cannot be booked).
        conditions.append(Coach.min_rate_minor.is_not(None))
    keys = _keys(query, by_offering_price)
    statement = select(*_CARD_COLUMNS, *keys)
    if driver is not None:
        candidates = driver.ids.cte("candidates").prefix_with("MATERIALIZED")
        statement = statement.select_from(candidates).join(Coach, Coach.id == candidates.c.coach_id)
    if by_offering_price:
        statement = statement.join(CoachOffering, and_(*offering_conditions))
    elif offering_conditions and skip != "offering":
        conditions.append(exists().where(*offering_conditions))
    descending = query.sort != "price"
    if query.after is not None:
        bound, position = tuple_(*keys), _position(query.after, keys)
        conditions.append(bound < position if descending else bound > position)
    order = [k.desc() if descending else k.asc() for k in keys]
    return statement.where(*conditions).order_by(*order), keys


def _offering_conditions(query: Search) -> list[ColumnElement[bool]]:
    if query.session_type is None:
        return []
    conditions: list[ColumnElement[bool]] = [
        CoachOffering.coach_id == Coach.id,
        CoachOffering.session_type == query.session_type,
    ]
    if query.min_price is not None:
        conditions.append(CoachOffering.rate_minor >= query.min_price)
    if query.max_price is not None:
        conditions.append(CoachOffering.rate_minor <= query.max_price)
    return conditions


def _keys(query: Search, by_offering_price: bool) -> list[Any]:
    """The sort columns, the id last (ORM attributes or columns)."""
    if query.sort == "rating":
        return [Coach.rating_x100, Coach.rating_count, Coach.id]
    if query.sort == "price":
        rate = CoachOffering.rate_minor if by_offering_price else Coach.min_rate_minor
        return [rate, Coach.id]
    return [Coach.rank_score, Coach.id]


def _hours_condition(groups: Sequence[HoursGroup]) -> ColumnElement[bool] | TextClause:
    """The coach has a weekly range overlapping one the window covers in the coach's zone.

    Written as SQL text with bound values: built as expression objects, the dozens of
    alternatives cost more to build and compile than the query takes to run."""
    if not groups:
        return exists().where(WeeklyHours.coach_id == Coach.id)
    values: dict[str, Any] = {}
    alternatives = []
    for g, (zones, ranges) in enumerate(groups):
        names = []
        for z, zone in enumerate(zones):
            values[f"hz{g}_{z}"] = zone
            names.append(f":hz{g}_{z}")
        spans = []
        for r, (day, start, end) in enumerate(ranges):
            values |= {f"hd{g}_{r}": day, f"hs{g}_{r}": start, f"he{g}_{r}": end}
            spans.append(
                f"(h.weekday = :hd{g}_{r} AND h.start_minute < :he{g}_{r}"
                f" AND h.end_minute > :hs{g}_{r})"
            )
        alternatives.append(
            f"(coaches.time_zone IN ({', '.join(names)}) AND ({' OR '.join(spans)}))"
        )
    return text(
        "EXISTS (SELECT 1 FROM weekly_hours h WHERE h.coach_id = coaches.id AND ("
        + " OR ".join(alternatives)
        + "))"
    ).bindparams(**values)
