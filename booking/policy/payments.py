"""When a payment counts as made in time for its hold.

A hold keeps a slot for a client for `HOLD_MINUTES` while they pay. What counts is when the
provider took the money (Stripe's charge `created`, or the `created` of its
`payment_intent.succeeded` event, which every retry of the event keeps), not when we heard of
it: Stripe delivers webhooks late and retries them for days, and a client who paid 0.1 s into
the hold must not lose the session because a delivery came after the hold ran out.

- A hold still live when we hear: in time, whatever the provider's clock says (its clock and
  ours may disagree by a little; the hold is there, the slot is the client's).
- A hold past its end: in time when the provider's time of payment is at or before the hold's
  end. The booking is then confirmed if it is still held, or confirmed again from `expired`
  (`pay_in_time`) if no other booking took the slot since; otherwise it is refunded in full.
- No time from the provider: judged as of now, so a hold past its end is late.

Times are UTC; the comparison is exact (no grace beyond the hold itself).
"""

from __future__ import annotations

from datetime import datetime


def paid_in_time(
    hold_expires_at: datetime | None, succeeded_at: datetime | None, now: datetime
) -> bool:
    """Whether a payment that succeeded at `succeeded_at` (None: unknown), heard of `now`,
    keeps a hold that ends at `hold_expires_at` (None: no hold)."""
    if hold_expires_at is None:
        return False
    if now < hold_expires_at:
        return True
    return succeeded_at is not None and succeeded_at <= hold_expires_at
