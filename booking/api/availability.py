"""Availability: the coach's calendar rules, and the free slots clients book from."""

from __future__ import annotations

import bisect
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

from booking.api.bookings import PriceOut, SessionType
from booking.api.coaches import HoursOut
from booking.api.profiles import ClockTime, HoursIn, minutes
from booking.api.scheduling import SCHEDULING
from booking.policy.profiles import DURATION_STEP, MAX_DURATION, MIN_DURATION
from booking.services.availability import Rules, ScheduleView, SlotList, SlotQuery
from booking.services.profiles import HoursDraft
from realtime.auth.access import optional_principal, require
from realtime.auth.models import Role
from realtime.errors import FieldError, ValidationFailed
from realtime.http import ApiRoutes, Input, Instant, NoInput, Output, bounded, respond, uuid_param

routes = ApiRoutes(tag="availability")


class RulesIn(Input):
    slot_interval: StrictInt = Field(
        ge=5,
        le=MAX_DURATION,
        multiple_of=DURATION_STEP,
        description="Minutes between slot starts, from the start of each range: 5 to 240 in "
        "steps of 5 (equal to a duration for back-to-back sessions).",
    )
    buffer_before: StrictInt = Field(ge=0, le=120, description="Free minutes before a session.")
    buffer_after: StrictInt = Field(ge=0, le=120, description="Free minutes after a session.")
    min_notice: StrictInt = Field(ge=0, le=20160, description="Minutes' notice, up to 14 days.")
    max_advance_days: StrictInt | None = Field(
        ge=0,
        le=365,
        description="Calendar days ahead in your zone: 0 is today only; the whole of day N is "
        "bookable; null is no limit (up to 730 days, the cap that keeps queries bounded).",
    )
    bookable_until: date | None = Field(
        None,
        description="The last bookable day, in your zone (a fixed end date); with "
        "max_advance_days, whichever comes first.",
    )

    def rules(self) -> Rules:
        return Rules(
            slot_interval=self.slot_interval,
            buffer_before=self.buffer_before,
            buffer_after=self.buffer_after,
            min_notice=self.min_notice,
            max_advance_days=self.max_advance_days,
            bookable_until=self.bookable_until,
        )


class RulesOut(Output):
    slot_interval: int
    buffer_before: int
    buffer_after: int
    min_notice: int
    max_advance_days: int | None
    bookable_until: date | None


class WeeklyHoursIn(Input):
    weekly_hours: list[HoursIn] = Field(max_length=70, description="Replaces all weekly hours.")


class RangeIn(Input):
    """A range of the day in the coach's zone; end exclusive."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> RangeIn:
        if minutes(self.end) <= minutes(self.start) or self.start == "24:00":
            raise PydanticCustomError("range_order", "end must be after start")
        return self


class OverrideIn(Input):
    ranges: list[RangeIn] = Field(max_length=10, description="An empty list closes the day.")


class RangeOut(Output):
    start: str
    end: str


class OverrideOut(Output):
    date: date
    ranges: list[RangeOut] = Field(description="Empty: the day is closed.")


class TimeOffIn(Input):
    starts_at: Instant
    ends_at: Instant = Field(description="After starts_at, at most 366 days later.")
    note: str = Field("", max_length=200)


class TimeOffOut(Output):
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    note: str


class ScheduleOut(Output):
    time_zone: str = Field(description="The coach's IANA zone; every clock time is in it.")
    settings: RulesOut
    weekly_hours: list[HoursOut]
    overrides: list[OverrideOut] = Field(description="From today on, in date order.")
    time_off: list[TimeOffOut] = Field(description="Not yet ended, soonest first.")

    @classmethod
    def of(cls, view: ScheduleView) -> ScheduleOut:
        return cls.model_validate(view)


# A '+' in a query string reads as a space unless it is sent as %2B; take it back.
_SPACED_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")


def _moment(value: object) -> object:
    """An ISO 8601 instant with an offset, or a date (midnight in the viewer's zone)."""
    if not isinstance(value, str):
        return value
    text = _SPACED_OFFSET.sub(r"+\1", value)
    try:
        parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "moment", "expected YYYY-MM-DD or an ISO 8601 time with an offset"
        ) from None
    if isinstance(parsed, datetime) and parsed.utcoffset() is None:
        raise PydanticCustomError("moment", "needs a UTC offset, e.g. Z or +01:00")
    return parsed


Moment = Annotated[datetime | date, BeforeValidator(_moment), AfterValidator(bounded)]


class SlotsIn(Input):
    start: Moment = Field(
        alias="from",
        description="Window start: ISO 8601 with an offset, or a date (midnight in `tz`).",
    )
    end: Moment = Field(
        alias="to", description="Window end, exclusive; after `from`, at most 92 days later."
    )
    tz: str | None = Field(
        None,
        max_length=64,
        description="IANA zone to show slots in; default yours if logged in, else UTC.",
    )
    session_type: SessionType
    duration: int = Field(
        ge=MIN_DURATION,
        le=MAX_DURATION,
        multiple_of=DURATION_STEP,
        description="Minutes; one the coach offers.",
    )


class SlotOut(Output):
    start: datetime = Field(description="In the viewer's zone, with its offset.")
    end: datetime


class SlotsOut(Output):
    coach_id: uuid.UUID
    time_zone: str
    session_type: str
    duration: int
    price: PriceOut
    slots: list[SlotOut]


@routes.get(
    "/api/coaches/me/schedule",
    summary="Read your calendar rules",
    responses={200: ScheduleOut},
    access="coach",
    errors=[404],
)
async def own_schedule(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].availability.schedule(caller.user_id)
    return respond(ScheduleOut.of(view))


@routes.put(
    "/api/coaches/me/schedule/settings",
    summary="Set slot interval, buffers, notice and horizon",
    input=RulesIn,
    responses={200: ScheduleOut},
    access="coach",
    errors=[404],
)
async def set_rules(request: web.Request, body: RulesIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].availability.set_rules(caller.user_id, body.rules())
    return respond(ScheduleOut.of(view))


@routes.put(
    "/api/coaches/me/schedule/weekly-hours",
    summary="Replace your weekly hours",
    input=WeeklyHoursIn,
    responses={200: ScheduleOut},
    access="coach",
    errors=[404],
)
async def set_weekly_hours(request: web.Request, body: WeeklyHoursIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    hours = tuple(
        HoursDraft(h.weekday, minutes(h.start), minutes(h.end)) for h in body.weekly_hours
    )
    view = await request.app[SCHEDULING].availability.set_weekly_hours(caller.user_id, hours)
    return respond(ScheduleOut.of(view))


@routes.put(
    "/api/coaches/me/schedule/overrides/{date}",
    summary="Set one date's hours (an empty list closes the day)",
    input=OverrideIn,
    responses={200: ScheduleOut},
    access="coach",
    errors=[404],
)
async def set_override(request: web.Request, body: OverrideIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    ranges = [(minutes(r.start), minutes(r.end)) for r in body.ranges]
    view = await request.app[SCHEDULING].availability.set_override(
        caller.user_id, _date_param(request), ranges
    )
    return respond(ScheduleOut.of(view))


@routes.delete(
    "/api/coaches/me/schedule/overrides/{date}",
    summary="Give a date back to your weekly hours",
    responses={204: None},
    access="coach",
    errors=[404, 422],
)
async def clear_override(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    await request.app[SCHEDULING].availability.clear_override(caller.user_id, _date_param(request))
    return respond(None)


@routes.post(
    "/api/coaches/me/schedule/time-off",
    summary="Take time off",
    input=TimeOffIn,
    responses={201: TimeOffOut},
    access="coach",
    errors=[404],
)
async def add_time_off(request: web.Request, body: TimeOffIn) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    view = await request.app[SCHEDULING].availability.add_time_off(
        caller.user_id, body.starts_at, body.ends_at, body.note
    )
    return respond(TimeOffOut.model_validate(view), status=201)


@routes.delete(
    "/api/coaches/me/schedule/time-off/{id}",
    summary="Cancel time off",
    responses={204: None},
    access="coach",
    errors=[404, 422],
)
async def remove_time_off(request: web.Request, _: NoInput) -> web.StreamResponse:
    caller = await require(request, Role.COACH)
    await request.app[SCHEDULING].availability.remove_time_off(caller.user_id, uuid_param(request))
    return respond(None)


@routes.get(
    "/api/coaches/{id}/slots",
    summary="A coach's free slots, in your time zone",
    input=SlotsIn,
    responses={200: SlotsOut},
    access="public",
    errors=[404],
    description=(
        "Slots of `duration` minutes of a listed coach starting in [from, to), excluding "
        "booked and held time with its buffers, time off, and slots inside the coach's notice "
        "or beyond their horizon. Any slot listed can be held with POST /api/bookings."
    ),
)
async def free_slots(request: web.Request, query: SlotsIn) -> web.StreamResponse:
    coach_id = uuid_param(request)
    viewer = None if query.tz is not None else await optional_principal(request)
    found = await request.app[SCHEDULING].availability.slots(
        coach_id,
        SlotQuery(
            start=query.start,
            end=query.end,
            zone=query.tz,
            viewer=viewer.user_id if viewer else None,
            session_type=query.session_type,
            duration=query.duration,
        ),
    )
    # Thousands of slots for a 90-day window: rendered by hand and serialised by orjson, as
    # validating a model per slot would take most of the time budget. The shape is SlotsOut.
    body = {
        "coach_id": str(found.coach_id),
        "time_zone": found.zone.key,
        "session_type": found.session_type,
        "duration": found.duration,
        "price": {"minor": found.price.minor, "currency": found.price.currency},
        "slots": _render(found),
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def _date_param(request: web.Request) -> date:
    raw = request.match_info["date"]
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValidationFailed([FieldError("date", "expected a date, YYYY-MM-DD")])


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _render(found: SlotList) -> list[dict[str, str]]:
    """Each slot's start and end as ISO 8601 wall times in the viewer's zone with its offset
    (`Z` for zero, as everywhere in the API). The zone's offset is looked up once per day of
    the window and where it changes, not per slot; dates and clock times are formatted once
    each and reused."""
    if not found.starts:
        return []
    starts, span = found.starts, found.duration * 60
    changes, offsets = _offsets(found.zone, starts[0], starts[-1] + span)
    days: dict[int, str] = {}
    clocks: dict[int, str] = {}

    def wall(instant: int, offset: int) -> str:
        day, second = divmod(instant + offset, 86400)
        return (
            (days.get(day) or _cache(days, day, _date_text(day)))
            + (clocks.get(second) or _cache(clocks, second, _clock_text(second)))
            + _offset_text(offset)
        )

    out = []
    for k, offset in enumerate(offsets):
        suffix = _offset_text(offset)
        until = changes[k + 1] if k + 1 < len(changes) else starts[-1] + span + 1
        for start in starts[
            bisect.bisect_left(starts, changes[k]) : bisect.bisect_left(starts, until)
        ]:
            day, second = divmod(start + offset, 86400)
            prefix = days.get(day) or _cache(days, day, _date_text(day))
            clock = clocks.get(second) or _cache(clocks, second, _clock_text(second))
            end = start + span
            if end < until and second + span < 86400:  # the usual case: same day, same offset
                later = second + span
                end_clock = clocks.get(later) or _cache(clocks, later, _clock_text(later))
                finish = prefix + end_clock + suffix
            else:
                finish = wall(end, offsets[bisect.bisect_right(changes, end) - 1])
            out.append({"start": prefix + clock + suffix, "end": finish})
    return out


def _cache(texts: dict[int, str], key: int, text: str) -> str:
    texts[key] = text
    return text


def _date_text(day: int) -> str:
    return date.fromordinal(_EPOCH + day).isoformat() + "T"


def _clock_text(second: int) -> str:
    hours, rest = divmod(second, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


_EPOCH = date(1970, 1, 1).toordinal()


def _offsets(zone: ZoneInfo, low: int, high: int) -> tuple[list[int], list[int]]:
    """The zone's UTC offset over [low, high] (POSIX seconds): the instants it changes at, from
    `low` on, and the offset from each. Sampled daily, then bisected to the second, as no zone
    changes its offset twice within a day."""
    changes, offsets = [low], [_offset_at(zone, low)]
    at = low
    while at < high:
        step = min(at + 86400, high)
        offset = _offset_at(zone, step)
        if offset != offsets[-1]:
            before, after = at, step
            while after - before > 1:
                middle = (before + after) // 2
                if _offset_at(zone, middle) == offsets[-1]:
                    before = middle
                else:
                    after = middle
            changes.append(after)
            offsets.append(offset)
        at = step
    return changes, offsets


def _offset_at(zone: ZoneInfo, instant: int) -> int:
    offset = datetime.fromtimestamp(instant, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _offset_text(seconds: int) -> str:
    if seconds == 0:
        return "Z"
    sign = "+" if seconds > 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    text = f"{sign}{hours:02d}:{rest // 60:02d}"
    return text + (f":{rest % 60:02d}" if rest % 60 else "")
