"""The verification lifecycle of a coach.

A coach applies (kind `initial`) with their profile, credentials, at least two professional
references and their acceptance of the current professional agreement; the coach is `pending`
and unlisted. An admin approves or rejects (with a reason); every step is an event with its
actor.

Approval makes the coach `verified` with `verified_at` = now and `reverify_by` = now +
`reverify_in_days` (REVERIFY_DAYS, default DEFAULT_REVERIFY_DAYS), and marks the application's
credentials verified. Rejection of an initial application makes the coach `rejected`; they may
apply again with a corrected profile.

A coach is listed (in the directory, on their public profile, as a favourite) only while
`verified` and `reverify_by` is in the future. Once `reverify_by` has passed, verification has
lapsed: the coach is hidden, and `lapsed` tells them so. A verified coach (lapsed or not) renews
with a `reverification` application (new credentials and the current agreement); while it is
pending the coach stays as they were; approval moves `reverify_by` on and makes its credentials
the current ones; rejection leaves the coach as they were (a lapsed coach stays hidden).

One application at a time: a second while one is pending is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta

VERIFIED = "verified"
PENDING = "pending"
REJECTED = "rejected"

REVERIFY_DAYS = (30, 730)
DEFAULT_REVERIFY_DAYS = 365


def listed(status: str, reverify_by: datetime | None, now: datetime) -> bool:
    """Whether the coach appears in the directory and to the public."""
    return status == VERIFIED and reverify_by is not None and reverify_by > now


def lapsed(status: str, reverify_by: datetime | None, now: datetime) -> bool:
    """Verified once, but the re-verification date has passed."""
    return status == VERIFIED and reverify_by is not None and reverify_by <= now


def reverify_deadline(now: datetime, days: int) -> datetime:
    low, high = REVERIFY_DAYS
    if not low <= days <= high:
        raise ValueError(f"re-verification is due in {low} to {high} days")
    return now + timedelta(days=days)
