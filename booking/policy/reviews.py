"""Reviews' rules: who may write one and when, and the name a review shows.

A full name on a public review tells the world who sees a therapist, so a review is
anonymous unless its author asks otherwise, and then it shows a first name and an initial.
"""

from __future__ import annotations

import unicodedata

from booking.policy.states import Status

TEXT_MAX = 2000
RESPONSE_MAX = 2000
HIDE_REASON_MAX = 500
# Only a completed session is reviewed: a no-show or an interrupted session is not a session
# the client could judge.
REVIEWABLE = Status.COMPLETED


def public_name(display_name: str) -> str:
    """ "Maria Garcia Lopez" -> "Maria G.": the first word and the first letter of the last;
    one word stays as it is; a name of no letters becomes "A client"."""
    words = [w for w in display_name.split() if any(c.isalpha() for c in w)]
    if not words:
        return "A client"
    first = words[0][:30]
    if len(words) == 1:
        return first
    initial = next(c for c in words[-1] if c.isalpha())
    return f"{first} {unicodedata.normalize('NFC', initial).upper()}."
