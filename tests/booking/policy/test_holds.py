"""The rules of booking.policy.holds, with plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking.policy.holds import ClientHolds, HoldLimits, Over, Refusal, refusal

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LIMITS = HoldLimits(total=2, per_coach=1, lapses=3, cooldown=timedelta(minutes=60))


@pytest.mark.parametrize(
    ("holds", "refused"),
    [
        (ClientHolds(0, 0, 0, None), None),
        (ClientHolds(1, 0, 2, NOW - timedelta(minutes=5)), None),
        (ClientHolds(1, 1, 0, None), Refusal(Over.PER_COACH, 1)),
        (ClientHolds(2, 0, 0, None), Refusal(Over.TOTAL, 2)),
        (ClientHolds(2, 1, 0, None), Refusal(Over.TOTAL, 2)),
        # Three lapses, the oldest 20 minutes ago: 40 minutes to wait, before any other rule.
        (ClientHolds(2, 1, 3, NOW - timedelta(minutes=20)), Refusal(Over.COOLDOWN, 3, 2400)),
        # A part of a second still to wait is a whole second.
        (
            ClientHolds(0, 0, 3, NOW - timedelta(minutes=60, seconds=-0.5)),
            Refusal(Over.COOLDOWN, 3, 1),
        ),
        # The oldest is an hour past: the cooldown is over.
        (ClientHolds(0, 0, 3, NOW - timedelta(minutes=60)), None),
    ],
)
def test_refusal(holds: ClientHolds, refused: Refusal | None) -> None:
    assert refusal(holds, LIMITS, NOW) == refused
