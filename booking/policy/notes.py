"""Session notes: who reads and writes which note, and when.

A session (booking) has two notes, each a list of versions: the coach's **private** note, which
only that coach ever reads, and the **shared** note, which the coach writes for the client to
read. Only the session's coach writes either; the client reads the shared one; nobody else
(other coaches, other clients, admins) learns the notes exist: they get the booking's 404.

Notes belong to a session that is or was going to happen: a confirmed, in-progress or completed
booking, or one ended by a no-show. A hold (paid for or not yet), an expired hold and a
canceled booking have no session to note, and are refused with 409 `booking_not_confirmed`.
"""

from __future__ import annotations

from enum import StrEnum

from booking.policy.states import Status


class Audience(StrEnum):
    PRIVATE = "private"
    SHARED = "shared"


NOTED = frozenset(
    {
        Status.CONFIRMED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
        Status.NO_SHOW_CLIENT,
        Status.NO_SHOW_COACH,
    }
)


class Refusal(StrEnum):
    NOT_THE_COACH = "not_the_coach"
    NO_SESSION = "no_session"


def readable(*, is_coach: bool) -> tuple[Audience, ...]:
    """The notes a participant reads: the coach both, the client the shared one."""
    return (Audience.PRIVATE, Audience.SHARED) if is_coach else (Audience.SHARED,)


def may_write(*, is_coach: bool, status: Status) -> Refusal | None:
    """Why this participant may not write a note now, or None."""
    if not is_coach:
        return Refusal.NOT_THE_COACH
    if status not in NOTED:
        return Refusal.NO_SESSION
    return None
