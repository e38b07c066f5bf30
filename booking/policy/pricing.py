"""What a session costs.

A coach sets an hourly rate per session type (integer minor units of their currency). A session
of `duration` minutes costs `rate * duration / 60`, rounded half up to a whole minor unit: one
rule, applied once, when the slot is held; the price is then fixed on the booking. The client
pays exactly this (no hidden fees); the platform's commission comes out of it, not on top.
"""

from __future__ import annotations

from booking.money import Money


def session_price(hourly_rate: Money, duration: int) -> Money:
    if duration <= 0:
        raise ValueError("a session lasts a positive number of minutes")
    return Money((2 * hourly_rate.minor * duration + 60) // 120, hourly_rate.currency)
