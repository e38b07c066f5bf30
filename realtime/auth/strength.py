"""How strong a new password is: zxcvbn's estimate, not its length alone.

zxcvbn (the estimator Dropbox published) scores 0 to 4 by the guesses an attacker would need,
knowing common passwords, names, keyboard patterns, dates and l33t substitutions, and the
account's own email and name (given as `user_inputs`). `PASSWORD_MIN_SCORE` (default 3, about
10^10 guesses: years offline against our Argon2 hash) is the least accepted. The refusal names
what is weak, in zxcvbn's words. Passwords keep their 12 to 128 character bounds; only the
first 100 characters are scored, as zxcvbn's time grows with length and 100 random-looking
characters are strong anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

from zxcvbn import zxcvbn

_SCORED = 100


def check_strength(password: str, min_score: int, user_inputs: Sequence[str] = ()) -> None:
    """Raise ValueError naming the weakness if `password` scores below `min_score`."""
    if not 12 <= len(password) <= 128:
        raise ValueError("must be 12 to 128 characters long")
    result = zxcvbn(password[:_SCORED], user_inputs=[s for s in user_inputs if s])
    score = int(result["score"])
    if score >= min_score:
        return
    feedback = result["feedback"]
    warning = str(feedback["warning"]).strip()
    suggestions = " ".join(str(s).strip() for s in feedback["suggestions"])
    reason = " ".join(part for part in (warning, suggestions) if part)
    raise ValueError(
        f"too easy to guess (strength {score} of 4, at least {min_score} needed)"
        + (f": {reason}" if reason else "")
    )
