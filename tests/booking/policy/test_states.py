"""The outcome transitions of the state machine (booking.policy.states)."""

from __future__ import annotations

import pytest

from booking.policy.states import Event, IllegalTransition, Status, offered, transition


@pytest.mark.parametrize(
    ("status", "event", "expected"),
    [
        (Status.CONFIRMED, Event.COMPLETE, Status.COMPLETED),
        (Status.CONFIRMED, Event.INTERRUPT, Status.INTERRUPTED),
        (Status.IN_PROGRESS, Event.INTERRUPT, Status.INTERRUPTED),
        (Status.INTERRUPTED, Event.COMPLETE, Status.COMPLETED),
        (Status.INTERRUPTED, Event.NO_SHOW_CLIENT, Status.NO_SHOW_CLIENT),
        (Status.INTERRUPTED, Event.NO_SHOW_COACH, Status.NO_SHOW_COACH),
    ],
)
def test_an_outcome_is_a_transition(status: Status, event: Event, expected: Status) -> None:
    assert transition(status, event) is expected


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.NO_SHOW_CLIENT, Status.NO_SHOW_COACH])
def test_a_decided_outcome_is_final(status: Status) -> None:
    for event in Event:
        with pytest.raises(IllegalTransition):
            transition(status, event)


def test_outcome_decisions_are_never_offered_to_a_participant() -> None:
    assert offered(Status.INTERRUPTED, started=True) == frozenset()
    confirmed = offered(Status.CONFIRMED, started=True)
    assert Event.COMPLETE not in confirmed
    assert Event.INTERRUPT not in confirmed
