"""How coaches are ranked in the directory.

Rating: the plain average of a coach's reviews, kept as an integer x100 (4.75 -> 475), rounded
half up, so it sorts and compares exactly.

Relevance: a Bayesian average, `(PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + count)`,
kept as an integer x1000. A coach with one 5-star review does not outrank one with two hundred
4.9-star reviews: each coach starts as if they had PRIOR_WEIGHT reviews of PRIOR_MEAN stars, and
their own reviews pull the score away from that as they accumulate. A coach without reviews
scores exactly the prior (4000).
"""

from __future__ import annotations

from dataclasses import dataclass

PRIOR_MEAN_X1000 = 4000
PRIOR_WEIGHT = 5


@dataclass(frozen=True)
class RatingSummary:
    rating_x100: int
    rating_count: int
    rank_score: int


def summarise(rating_sum: int, rating_count: int) -> RatingSummary:
    """The rating fields of a coach with `rating_count` reviews adding up to `rating_sum`."""
    if rating_count < 0 or rating_sum < rating_count or rating_sum > 5 * rating_count:
        raise ValueError("ratings are 1 to 5 stars each")
    average_x100 = (200 * rating_sum + rating_count) // (2 * rating_count) if rating_count else 0
    weight = PRIOR_WEIGHT + rating_count
    numerator = PRIOR_WEIGHT * PRIOR_MEAN_X1000 + 1000 * rating_sum
    rank = (2 * numerator + weight) // (2 * weight)
    return RatingSummary(average_x100, rating_count, rank)
