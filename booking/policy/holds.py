"""How many slots one client may hold, so that nobody can empty a coach's calendar.

A hold takes a slot out of everyone else's reach for `HOLD_MINUTES` without any payment, and
`/availability` tells every viewer when it is released, so a client could otherwise hold a
coach's whole week and take it again as it frees. Three rules, checked in the hold's own
transaction (the counts are read under the client's and the coach's locks, so two concurrent
holds cannot both pass):

- at most `HOLD_LIMIT` live holds in all (held, not yet expired): a client pays for what they
  hold before holding more; 409 `hold_limit`;
- at most `HOLD_LIMIT_PER_COACH` of them with one coach; 409 `hold_limit_per_coach`;
- a cooldown for a client whose holds keep lapsing: once `HOLD_LAPSES` of their holds expired
  unpaid within the last `HOLD_COOLDOWN_MINUTES`, they may hold again only when the oldest of
  those is that long past; 429 `hold_cooldown` with `Retry-After`. A declined card or a client
  who changes their mind lapses a hold or two; a script lapses dozens.

A paid (confirmed) booking is no longer a hold and counts towards nothing here; a hold whose
time is up counts as lapsed even before the sweeper marks it expired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class HoldLimits:
    total: int
    per_coach: int
    lapses: int
    cooldown: timedelta


@dataclass(frozen=True)
class ClientHolds:
    """One client's holds as the hold transaction reads them."""

    live: int
    live_with_coach: int
    lapsed: int  # expired unpaid within the cooldown
    first_lapsed: datetime | None  # the oldest of those: when its hold expired


class Over(StrEnum):
    TOTAL = "total"
    PER_COACH = "per_coach"
    COOLDOWN = "cooldown"


@dataclass(frozen=True)
class Refusal:
    over: Over
    limit: int
    retry_after: int = 0  # seconds, for the cooldown


def refusal(holds: ClientHolds, limits: HoldLimits, now: datetime) -> Refusal | None:
    """Why one more hold is refused, or None if it may be placed."""
    if holds.lapsed >= limits.lapses and holds.first_lapsed is not None:
        wait = (holds.first_lapsed + limits.cooldown - now).total_seconds()
        if wait > 0:
            return Refusal(Over.COOLDOWN, limits.lapses, math.ceil(wait))
    if holds.live >= limits.total:
        return Refusal(Over.TOTAL, limits.total)
    if holds.live_with_coach >= limits.per_coach:
        return Refusal(Over.PER_COACH, limits.per_coach)
    return None
