"""Who may enter a session's live room, and when.

Only the booking's client and its coach: never an admin, never anyone else (the booking
services answer a stranger as if the booking did not exist). Only a booking that is `confirmed`
(or `in_progress`, once something starts sessions): a held, canceled, expired or finished
booking has no room. Only inside the join window: from `early` before the start (so both can
check their camera and microphone) until the end; joining after the end is refused even if the
booking was never completed, as the coach's next session may follow at once.

A room holds at most `ROOM_SIZE[session_type]` participants. Every session type is one coach
with one client today; the cap is per type so that a phone bridge or a group type can change it
in one place. A participant who reconnects takes over their own place and does not count twice.

A `chat` session is chat only: its room relays no media, so its participants get no ICE
servers (no TURN credential is made for them). Video and phone sessions have chat beside.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from booking.policy.states import Status

JOINABLE: frozenset[Status] = frozenset({Status.CONFIRMED, Status.IN_PROGRESS})
ROOM_SIZE: dict[str, int] = {"video": 2, "phone": 2, "chat": 2}


class Entry(StrEnum):
    OPEN = "open"
    NOT_CONFIRMED = "not_confirmed"
    TOO_EARLY = "too_early"
    OVER = "over"


DECIDED = frozenset(
    {Status.COMPLETED, Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH, Status.INTERRUPTED}
)


def entry(
    status: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    early: timedelta,
    grace: timedelta = timedelta(0),
) -> Entry:
    """Whether a participant may enter the room now (until `grace` after the end). A session
    already decided (completed, a no-show, interrupted) is over, whatever the time."""
    if Status(status) in DECIDED:
        return Entry.OVER
    if Status(status) not in JOINABLE:
        return Entry.NOT_CONFIRMED
    if now >= ends_at + grace:
        return Entry.OVER
    if now < starts_at - early:
        return Entry.TOO_EARLY
    return Entry.OPEN


def room_has_space(session_type: str, others: int) -> bool:
    """Whether one more participant fits beside `others` (who are not the one joining)."""
    return others < ROOM_SIZE.get(session_type, 2)


def dial_in(session_type: str, *, offered: bool) -> bool:
    """Whether a session may be joined by telephone: a phone session always, a video session
    when its coach's offering allows it (`offered`), a chat session never (docs/phone.md)."""
    return session_type == "phone" or (session_type == "video" and offered)


def has_media(session_type: str) -> bool:
    """Whether the session's room carries a call (a `chat` session is text only)."""
    return session_type != "chat"


END = "end"


def warning_kind(seconds: int) -> str:
    """The name of the warning `seconds` before the end (`w300`)."""
    return f"w{seconds}"


def deadlines(
    ends_at: datetime, warnings: tuple[int, ...], grace: timedelta, now: datetime
) -> list[tuple[str, datetime]]:
    """The session's timers still to fire, as (kind, due): each warning still ahead of `now`,
    and the hard stop (`END`) at the end plus `grace`, even when it has passed."""
    due = [
        (warning_kind(s), ends_at - timedelta(seconds=s))
        for s in sorted(set(warnings), reverse=True)
        if ends_at - timedelta(seconds=s) > now
    ]
    return [*due, (END, ends_at + grace)]


def remaining_seconds(kind: str) -> int | None:
    """The seconds before the end a warning kind stands for (None: the hard stop)."""
    return int(kind[1:]) if kind.startswith("w") and kind[1:].isdigit() else None
