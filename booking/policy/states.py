"""The booking state machine: every change of a booking's status goes through `transition`.

    held ──pay──▶ confirmed ──start──▶ in_progress ──complete──▶ completed
      │              │ ▲
      │              │ └─reschedule (stays confirmed, moves in time)
      ├─expire──▶ expired ──pay_in_time──▶ confirmed
      └─abandon─▶ canceled_by_client
    confirmed ──cancel_by_client──▶ canceled_by_client
    confirmed ──cancel_by_coach───▶ canceled_by_coach
    confirmed ──no_show_client────▶ no_show_client
    confirmed ──no_show_coach─────▶ no_show_coach
    in_progress ──no_show_client / no_show_coach──▶ (the one who never joined)
    confirmed / in_progress ──complete / interrupt──▶ completed / interrupted   (outcome rules)
    interrupted ──complete / no_show_client / no_show_coach──▶ …   (an admin resolves it)

When a session's end passes, the outcome rules (`booking.policy.outcomes`) decide from the
attendance which of completed / no_show_client / no_show_coach / interrupted it became. Those
decisions (`DECIDED_ONLY`) are the rules' or an admin's, never offered to a participant.

Live states (`held`, `confirmed`, `in_progress`) occupy the coach's calendar; the others are
final and never change again, with one exception: an expired hold whose payment succeeded at
the provider before the hold ended, heard of only later (a webhook retried past the expiry),
is confirmed after all (`pay_in_time`) if its slot is still free (`booking.policy.payments`).
No client can ask for that event, so it is never offered as an action. An event a state does
not accept is an `IllegalTransition`, which the API answers with 409: never a silent change.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED_BY_CLIENT = "canceled_by_client"
    CANCELED_BY_COACH = "canceled_by_coach"
    NO_SHOW_CLIENT = "no_show_client"
    NO_SHOW_COACH = "no_show_coach"
    EXPIRED = "expired"
    INTERRUPTED = "interrupted"


class Event(StrEnum):
    PAY = "pay"
    PAY_IN_TIME = "pay_in_time"
    EXPIRE = "expire"
    ABANDON = "abandon"
    RESCHEDULE = "reschedule"
    START = "start"
    COMPLETE = "complete"
    CANCEL_BY_CLIENT = "cancel_by_client"
    CANCEL_BY_COACH = "cancel_by_coach"
    NO_SHOW_CLIENT = "no_show_client"
    NO_SHOW_COACH = "no_show_coach"
    INTERRUPT = "interrupt"


LIVE: frozenset[Status] = frozenset({Status.HELD, Status.CONFIRMED, Status.IN_PROGRESS})

_TABLE: dict[tuple[Status, Event], Status] = {
    (Status.HELD, Event.PAY): Status.CONFIRMED,
    (Status.HELD, Event.EXPIRE): Status.EXPIRED,
    (Status.HELD, Event.ABANDON): Status.CANCELED_BY_CLIENT,
    (Status.EXPIRED, Event.PAY_IN_TIME): Status.CONFIRMED,
    (Status.CONFIRMED, Event.RESCHEDULE): Status.CONFIRMED,
    (Status.CONFIRMED, Event.START): Status.IN_PROGRESS,
    (Status.CONFIRMED, Event.CANCEL_BY_CLIENT): Status.CANCELED_BY_CLIENT,
    (Status.CONFIRMED, Event.CANCEL_BY_COACH): Status.CANCELED_BY_COACH,
    (Status.CONFIRMED, Event.NO_SHOW_CLIENT): Status.NO_SHOW_CLIENT,
    (Status.CONFIRMED, Event.NO_SHOW_COACH): Status.NO_SHOW_COACH,
    (Status.IN_PROGRESS, Event.COMPLETE): Status.COMPLETED,
    (Status.IN_PROGRESS, Event.NO_SHOW_CLIENT): Status.NO_SHOW_CLIENT,
    (Status.IN_PROGRESS, Event.NO_SHOW_COACH): Status.NO_SHOW_COACH,
    (Status.CONFIRMED, Event.COMPLETE): Status.COMPLETED,
    (Status.CONFIRMED, Event.INTERRUPT): Status.INTERRUPTED,
    (Status.IN_PROGRESS, Event.INTERRUPT): Status.INTERRUPTED,
    (Status.INTERRUPTED, Event.COMPLETE): Status.COMPLETED,
    (Status.INTERRUPTED, Event.NO_SHOW_CLIENT): Status.NO_SHOW_CLIENT,
    (Status.INTERRUPTED, Event.NO_SHOW_COACH): Status.NO_SHOW_COACH,
}

# (state, event) pairs only the outcome rules or an admin bring about: never offered.
DECIDED_ONLY: frozenset[tuple[Status, Event]] = frozenset(
    {
        (Status.CONFIRMED, Event.COMPLETE),
        (Status.CONFIRMED, Event.INTERRUPT),
        (Status.IN_PROGRESS, Event.INTERRUPT),
        (Status.INTERRUPTED, Event.COMPLETE),
        (Status.INTERRUPTED, Event.NO_SHOW_CLIENT),
        (Status.INTERRUPTED, Event.NO_SHOW_COACH),
    }
)


class IllegalTransition(Exception):
    def __init__(self, status: Status, event: Event) -> None:
        super().__init__(f"a {status.value} booking cannot {event.value.replace('_', ' ')}")
        self.status = status
        self.event = event


def transition(status: Status, event: Event) -> Status:
    """The status after `event`, or IllegalTransition."""
    try:
        return _TABLE[(status, event)]
    except KeyError:
        raise IllegalTransition(status, event) from None


# Events only the payment provider's word brings about: never offered as actions.
PROVIDER_ONLY: frozenset[Event] = frozenset({Event.PAY_IN_TIME})


# Events a session that has started no longer takes: once the start has passed, the outcome
# rules decide what happens to the booking and its money, not a cancellation or a move.
BEFORE_START_ONLY: frozenset[Event] = frozenset(
    {Event.CANCEL_BY_CLIENT, Event.CANCEL_BY_COACH, Event.RESCHEDULE}
)


def offered(status: Status, *, started: bool) -> frozenset[Event]:
    """The events a participant may ask for now: what `status` accepts, less a cancellation
    or a move once the session's start has passed."""
    events = accepts(status)
    return events - BEFORE_START_ONLY if started else events


def accepts(status: Status) -> frozenset[Event]:
    """The events a booking in `status` accepts (what the client may offer as actions)."""
    return frozenset(
        event
        for (state, event) in _TABLE
        if state is status and event not in PROVIDER_ONLY and (state, event) not in DECIDED_ONLY
    )
