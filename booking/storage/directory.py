"""The directory query: listed coaches matching every filter, in keyset order.

Every filter reads one coach's own row: `booking/storage/coaches.py` keeps columns of `coaches`
in step with the link tables (`booking/storage/search_keys.py` says how they are written):
specialties, languages and session types as `search_tokens` (all of `@>`, any of `&&`), each
session type's hourly rate, the weekly hours as slot masks and `hour_keys`. Rating and currency
are columns already. Each ordering has an index on `coaches` ending with the id (the
tie-breaker and last keyset value); `ix_coaches_search` is a GIN index of the tokens and hour
keys (PostgreSQL; SQLite reads the JSON lists with `json_each`).

Filters are correlated (a language with the zones its speakers live in, chat with low rates,
rating with the relevance order), so the planner's estimates of how many coaches match go
wrong by orders of magnitude, and a LIMIT query that walks the ordering's index on a wrong
estimate may read every coach before giving up. So the plan follows what the data shows:

1. Walk: read the first WALK_BUDGET listed coaches along the ordering's index (from the start
   of a price or rating range when the order is by that column), keep those that match, stop at
   `limit`. Filters that admit one coach in WALK_BUDGET / limit or more fill the page here. If
   the walk found a few (LONG_WALK_HINT), the page is likely a little further on: walk again,
   up to LONG_WALK coaches.
2. Collect: if the walks found fewer than `limit`, the filters are rare; every match is
   collected (a MATERIALIZED CTE, which the planner answers from the GIN index, narrowed by the
   price tokens of a price range and the hour keys of a window, and from the rating and rate
   indexes, rather than by walking an ordering) and sorted.
Either way the page is what one ordered query would give, with the work bounded. Neither
statement depends on the values for its plan's shape (an index walk; bitmap scans and a sort),
so the generic plans PostgreSQL may give prepared statements after five runs serve as well as
plans made for the values (measured: the same times with `plan_cache_mode` forced to custom).

Availability (`hours`): for each group of zones with the same wall clock in the window, the
weekday's mask must share a slot with the slots the window covers there: exact when every
covered range starts and ends on the slot grid; otherwise the exact comparison with
`weekly_hours` runs behind it, on the coaches that pass.

The statements are SQL text. Their shape changes with every window (the groups of zones), so
SQLAlchemy would build and compile each afresh, which took longer than running it. Bound values
carry what a client sent; zone names (validated IANA names read from `coaches`) and the masks
and keys computed here are written in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import ARRAY, Integer, Table, Text, bindparam, column, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect

from booking.storage.coaches import HOURS_MASKS, RATES, Coach
from booking.storage.search_keys import (
    hour_keys,
    hours_masks,
    language_token,
    on_grid,
    price_tokens,
    primary_language_token,
    session_type_token,
    specialty_token,
)

Sort = Literal["relevance", "rating", "price"]
# Rows the first walk reads. If it finds LONG_WALK_HINT matches or more but not a page, the
# filters admit about one coach in WALK_BUDGET / LONG_WALK_HINT or more, so a page is likely
# within half of LONG_WALK rows, and a second walk reads up to LONG_WALK.
WALK_BUDGET = 700
LONG_WALK_HINT = 8
LONG_WALK = 4000
# One group of zones and the (weekday, start minute, end minute) wall-clock ranges a window
# covers in each of them.
HoursGroup = tuple[Sequence[str], Sequence[tuple[int, int, int]]]
COACHES = cast(Table, Coach.__table__)
CARD = (
    "id",
    "display_name",
    "photo_url",
    "currency",
    "rating_x100",
    "rating_count",
    "years_experience",
    "time_zone",
    "user_id",
    "next_available_at",
)
# What the walk carries from each coach it reads: the card, every sort key and filter column.
WALKED = (
    *CARD,
    "rank_score",
    "min_rate_minor",
    "search_tokens",
    *(c.key for c in RATES.values()),
    *(c.key for c in HOURS_MASKS),
)


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
    user_id: uuid.UUID  # not shown: whether they are online is
    next_available_at: datetime | None


@dataclass(frozen=True)
class Found:
    coach: Listed
    sort_values: list[Any]


async def search(session: AsyncSession, query: Search) -> list[Found]:
    """Up to `query.limit` listed coaches matching every filter, in the query's order."""
    postgres = session.get_bind().dialect.name == "postgresql"
    plan = _Plan(query, postgres=postgres)
    walked = await _fetch(session, plan.walk(WALK_BUDGET))
    if len(walked) >= query.limit or not plan.filtered:
        # A full page, or no filters: then the walk stopped at the end of the list.
        return walked
    if len(walked) >= LONG_WALK_HINT:
        walked = await _fetch(session, plan.walk(LONG_WALK))
        if len(walked) >= query.limit:
            return walked
    return await _fetch(session, plan.collect())


async def _fetch(session: AsyncSession, statement: TextualSelect) -> list[Found]:
    width = len(CARD)
    return [
        Found(
            Listed(*row[:width]), [str(v) if isinstance(v, uuid.UUID) else v for v in row[width:]]
        )
        for row in await session.execute(statement)
    ]


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


class _Plan:
    """The walk and the collect statements of one search."""

    def __init__(self, query: Search, *, postgres: bool) -> None:
        self.query = query
        self.postgres = postgres
        self.binds: list[BindParameter[Any]] = []
        if query.sort == "rating":
            self.keys: tuple[str, ...] = ("rating_x100", "rating_count", "id")
        elif query.sort == "price" and query.session_type is not None:
            self.keys = (RATES[query.session_type].key, "id")
        elif query.sort == "price":
            self.keys = ("min_rate_minor", "id")
        else:
            self.keys = ("rank_score", "id")
        self.direction = "ASC" if query.sort == "price" else "DESC"
        self.filtered = bool(
            query.specialties
            or query.session_type
            or query.currency
            or query.language_tags
            or query.language_primaries
            or query.min_rating_x100 is not None
            or query.hours is not None
        )

    def walk(self, budget: int) -> TextualSelect:
        """The first `limit` matches among the first `budget` listed coaches in order."""
        self.binds = []
        inner = self._listed("coaches") + self._leading_range("coaches")
        filters = self._filters("walk")
        return self._text(
            f"SELECT {self._output('walk')} FROM ("
            f"SELECT {', '.join(f'coaches.{name}' for name in WALKED)} FROM coaches"
            f" WHERE {' AND '.join(inner)} ORDER BY {self._order('coaches')}"
            f" LIMIT {self._bind(budget)}) AS walk"
            + (f" WHERE {' AND '.join(filters)}" if filters else "")
            + f" ORDER BY {self._order('walk')} LIMIT {self._bind(self.query.limit)}"
        )

    def collect(self) -> TextualSelect:
        """Every match, then the first `limit` of them in order."""
        self.binds = []
        conditions = self._listed("coaches") + self._filters("coaches", indexed=True)
        carried = dict.fromkeys((*CARD, *self.keys))
        return self._text(
            "WITH matches AS MATERIALIZED ("
            f"SELECT {', '.join(f'coaches.{name}' for name in carried)} FROM coaches"
            f" WHERE {' AND '.join(conditions)})"
            f" SELECT {self._output('matches')} FROM matches"
            f" ORDER BY {self._order('matches')} LIMIT {self._bind(self.query.limit)}"
        )

    def _text(self, sql: str) -> TextualSelect:
        types = [
            *(column(name, COACHES.c[name].type) for name in CARD),
            *(column(f"key_{name}", COACHES.c[name].type) for name in self.keys),
        ]
        return text(sql).bindparams(*self.binds).columns(*types)

    def _bind(self, value: Any, type_: Any = None) -> str:
        name = f"p{len(self.binds)}"
        self.binds.append(bindparam(name, value, type_=type_))
        return f":{name}"

    def _output(self, source: str) -> str:
        card = [f"{source}.{name}" for name in CARD]
        keys = [f"{source}.{name} AS key_{name}" for name in self.keys]
        return ", ".join(card + keys)

    def _order(self, source: str) -> str:
        return ", ".join(f"{source}.{name} {self.direction}" for name in self.keys)

    def _listed(self, source: str) -> list[str]:
        """Listed coaches that have the sort keys, after the cursor's position."""
        query = self.query
        now = self._bind(query.now, COACHES.c.reverify_by.type)
        found = [f"{source}.verification_status = 'verified'", f"{source}.reverify_by > {now}"]
        if query.sort == "price":
            # A coach without offerings has no price to sort by (and cannot be booked).
            found.append(f"{source}.{self.keys[0]} IS NOT NULL")
        if query.after is not None:
            keys = ", ".join(f"{source}.{name}" for name in self.keys)
            values = ", ".join(
                self._bind(value, COACHES.c[name].type)
                for value, name in zip(query.after, self.keys, strict=True)
            )
            found.append(f"({keys}) {'>' if self.direction == 'ASC' else '<'} ({values})")
        return found

    def _leading_range(self, source: str) -> list[str]:
        """Filters on the ordering's first column, which bound the walk's index range."""
        query = self.query
        if query.sort == "rating" and query.min_rating_x100 is not None:
            return [f"{source}.rating_x100 >= {self._bind(query.min_rating_x100)}"]
        if query.sort == "price" and query.session_type is not None:
            rate = f"{source}.{self.keys[0]}"
            found = []
            if query.min_price is not None:
                found.append(f"{rate} >= {self._bind(query.min_price)}")
            if query.max_price is not None:
                found.append(f"{rate} <= {self._bind(query.max_price)}")
            return found
        return []

    def _filters(self, source: str, *, indexed: bool = False) -> list[str]:
        """The query's filters on the columns of `source`; `indexed` adds the price tokens
        and hour keys, which only narrow what the index finds (row by row they cost more
        than the rate column and the masks)."""
        query = self.query
        found = []
        required = [specialty_token(slug) for slug in query.specialties]
        if query.session_type is not None:
            rate = f"{source}.{RATES[query.session_type].key}"
            if query.min_price is not None:
                found.append(f"{rate} >= {self._bind(query.min_price)}")
            if query.max_price is not None:
                found.append(f"{rate} <= {self._bind(query.max_price)}")
            priced = price_tokens(
                query.session_type, query.currency or "", query.min_price, query.max_price
            )
            if indexed and query.currency is not None and priced is not None:
                # Narrower than the session type's token, which nearly every coach has.
                found.append(self._has_any(f"{source}.search_tokens", priced))
            else:
                required.append(session_type_token(query.session_type))
        elif query.min_price is not None or query.max_price is not None:
            # Any session type the coach offers, priced in range.
            found.append(
                "("
                + " OR ".join(
                    self._in_range(f"{source}.{rate.key}", query.min_price, query.max_price)
                    for rate in RATES.values()
                )
                + ")"
            )
        if required:
            found.append(self._has_all(f"{source}.search_tokens", required))
        spoken = [
            *map(language_token, query.language_tags),
            *map(primary_language_token, query.language_primaries),
        ]
        if spoken:
            found.append(self._has_any(f"{source}.search_tokens", spoken))
        if query.currency is not None:
            found.append(f"{source}.currency = {self._bind(query.currency)}")
        if query.min_rating_x100 is not None:
            found.append(f"{source}.rating_x100 >= {self._bind(query.min_rating_x100)}")
        if query.hours is not None:
            if indexed and query.hours:
                found.append(self._hour_keys(f"{source}.hour_keys", query.hours))
            found.append(_available(query.hours, source))
        return found

    def _in_range(self, rate: str, low: int | None, high: int | None) -> str:
        bounds = [f"{rate} IS NOT NULL"]
        if low is not None:
            bounds.append(f"{rate} >= {self._bind(low)}")
        if high is not None:
            bounds.append(f"{rate} <= {self._bind(high)}")
        return f"({' AND '.join(bounds)})"

    def _has_all(self, tokens: str, wanted: list[str]) -> str:
        if self.postgres:
            return f"{tokens} @> {self._bind(wanted, ARRAY(Text))}"
        return " AND ".join(
            f"EXISTS (SELECT 1 FROM json_each({tokens}) WHERE value = {self._bind(token)})"
            for token in wanted
        )

    def _has_any(self, tokens: str, wanted: list[str]) -> str:
        if self.postgres:
            return f"{tokens} && {self._bind(wanted, ARRAY(Text))}"
        listed = ", ".join(self._bind(token) for token in wanted)
        return f"EXISTS (SELECT 1 FROM json_each({tokens}) WHERE value IN ({listed}))"

    def _hour_keys(self, keys: str, groups: Sequence[HoursGroup]) -> str:
        """The coach works in a block of the window in their zone (by `hour_keys`)."""
        wanted = sorted(
            {key for zones, ranges in groups for zone in zones for key in _keys(zone, ranges)}
        )
        if self.postgres:
            return f"{keys} && {self._bind(wanted, ARRAY(Integer))}"
        listed = ", ".join(map(str, wanted))
        return f"EXISTS (SELECT 1 FROM json_each({keys}) WHERE value IN ({listed}))"


def _keys(zone: str, ranges: Sequence[tuple[int, int, int]]) -> list[int]:
    return hour_keys(zone, hours_masks(ranges))


def _available(groups: Sequence[HoursGroup], source: str) -> str:
    """The coach (a row of `source`) has weekly hours overlapping a range the window covers in
    the coach's zone: the slot masks, then the exact ranges if the window is off the grid."""
    if not groups:
        return "(" + " OR ".join(f"{source}.hours_mask_{day} <> 0" for day in range(7)) + ")"
    exact = not all(on_grid(ranges) for _, ranges in groups)
    masked, spans = [], []
    for zones, ranges in groups:
        in_zone = f"{source}.time_zone IN ({', '.join(map(_quoted, zones))})"
        slots = " OR ".join(
            f"({source}.hours_mask_{day} & {bits}) <> 0"
            for day, bits in enumerate(hours_masks(ranges))
            if bits
        )
        masked.append(f"({in_zone} AND ({slots}))")
        if exact:
            overlaps = " OR ".join(
                f"(h.weekday = {day} AND h.start_minute < {end} AND h.end_minute > {start})"
                for day, start, end in ranges
            )
            spans.append(f"({in_zone} AND ({overlaps}))")
    condition = f"({' OR '.join(masked)})"
    if exact:
        condition += (
            f" AND EXISTS (SELECT 1 FROM weekly_hours h WHERE h.coach_id = {source}.id"
            f" AND ({' OR '.join(spans)}))"
        )
    return condition


def _quoted(name: str) -> str:
    """A zone name as an SQL string literal."""
    return "'" + name.replace("'", "''") + "'"
