"""The demo coach's own calendar, imported so that its busy time blocks slots here.

A coach's personal calendar (school pick-up on Tuesdays, peer supervision every other
Thursday, a one-off dentist appointment) is written as iCalendar text with floating local
times and read by the same rules an imported calendar's refresh uses
(`booking.policy.calendar_imports.busy_intervals`: recurrences expanded, only start and end
kept), then stored as the import service stores it: the address sealed with the coach's key, the
busy intervals beside it. The address is on `example.org`, which never resolves, so the
refresh job's first reading (CALENDAR_REFRESH_MINUTES after the start) shows the coach how a
calendar that cannot be read is reported; the busy time read before stays until a reading
succeeds.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.policy.calendar_imports import busy_intervals
from booking.services.calendar_imports import HORIZON_DAYS, Source, coach_scope
from booking.storage import calendar_imports as store
from booking.storage.coaches import Coach
from realtime.auth.models import User
from realtime.wiring import Services

ADDRESS = "https://calendar.example.org/ical/personal-8f3a2c/basic.ics"
LABEL = "Personal calendar"


def personal_ics(now: datetime, zone: ZoneInfo) -> bytes:
    """Three kinds of busy time around `now`, in floating times of the coach's zone."""
    local = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    tuesday = local + timedelta(days=(1 - local.weekday()) % 7)
    thursday = local + timedelta(days=(3 - local.weekday()) % 7)
    dentist = local + timedelta(days=3)

    def at(day: datetime, hour: int, minute: int = 0) -> str:
        return day.replace(hour=hour, minute=minute).strftime("%Y%m%dT%H%M%S")

    events = [
        ("school-run", at(tuesday, 15), at(tuesday, 16, 30), "RRULE:FREQ=WEEKLY;BYDAY=TU"),
        ("supervision", at(thursday, 12), at(thursday, 13), "RRULE:FREQ=WEEKLY;INTERVAL=2"),
        ("dentist", at(dentist, 10), at(dentist, 11), ""),
    ]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Flourish demo//personal//EN"]
    for uid, start, end, rule in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}@demo", f"DTSTAMP:{at(local, 0)}"]
        lines += [f"DTSTART:{start}", f"DTEND:{end}", "SUMMARY:Private"]
        lines += [rule] if rule else []
        lines += ["END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


async def import_personal_calendar(services: Services, coach_email: str) -> None:
    """Give the demo coach their personal calendar, imported and read just now."""
    now = services.clock.now()
    async with services.db.session() as session:
        coach = await session.scalar(
            select(Coach).join(User, User.id == Coach.user_id).where(User.email == coach_email)
        )
        if coach is None:
            return
        coach_id, zone = coach.id, ZoneInfo(coach.time_zone)
    busy = busy_intervals(
        personal_ics(now, zone), zone, now - timedelta(days=1), now + timedelta(days=HORIZON_DAYS)
    )
    calendar_id = uuid.uuid4()
    box = await services.sealer.box(coach_scope(coach_id))
    source = json.dumps(asdict(Source(kind="ical", url=ADDRESS))).encode()
    async with services.db.session() as session:
        row = store.read_now(
            calendar_id,
            coach_id,
            kind="ical",
            label=LABEL,
            host="calendar.example.org",
            source=box.seal(str(calendar_id), source),
            busy_count=len(busy),
            now=now,
        )
        session.add(row)
        await session.flush()
        await store.replace_busy(session, row, busy)
