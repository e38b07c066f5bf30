"""Who may move a confirmed session, and when.

A confirmed booking may be moved to another free slot of the same coach, session type and
duration (the slot rulebook in `booking.policy.slots` decides "free", with the booking's own
time left out of the busy list). Who may move it depends on how close the session is:

- `notice_hours` (RESCHEDULE_NOTICE_HOURS, 24 by default) or more before the current start:
  the client or the coach may move it.
- Inside that window the coach's day is already planned around the session, so the move needs
  the coach's consent. The client cannot give it: a client's request is refused
  (`reschedule_needs_consent`) and they ask the coach, who moves it themselves. The coach gives
  consent explicitly by sending `coach_consent: true`, so that a short-notice move is never made
  by accident.
- Once the session has started it cannot be moved at all.

Times are compared in UTC on the server clock; the window is measured from the current start,
not the new one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Verdict(StrEnum):
    ALLOWED = "allowed"
    # Inside the notice window and the coach has not consented (or the caller is the client).
    NEEDS_CONSENT = "needs_consent"
    # The session has already started (or its start has passed).
    STARTED = "started"


def may_reschedule(
    *,
    current_start: datetime,
    now: datetime,
    notice_hours: int,
    by_coach: bool,
    coach_consent: bool,
) -> Verdict:
    """Whether the client (`by_coach=False`) or the coach may move a session starting at
    `current_start` now."""
    if now >= current_start:
        return Verdict.STARTED
    if current_start - now >= timedelta(hours=notice_hours):
        return Verdict.ALLOWED
    if by_coach and coach_consent:
        return Verdict.ALLOWED
    return Verdict.NEEDS_CONSENT
