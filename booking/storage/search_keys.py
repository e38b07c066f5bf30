"""How a coach's link-table facts are written into the columns the directory filters on.

`search_tokens`: `s:<specialty slug>`, `l:<language tag>`, `lp:<primary subtag>`,
`t:<session type>` and `p:<session type>:<currency>:<rate // PRICE_BUCKET>`, sorted. The price
tokens let the index find the coaches with a rate in a range (by the buckets it spans; the rate
column decides); a coach's currency changes only together with the offerings.

Weekly-hours masks, one per weekday in the coach's zone: bit k is set when some weekly range
overlaps local minutes [k * SLOT_MINUTES, (k + 1) * SLOT_MINUTES). A window's covered ranges
as masks share a bit with the coach's exactly when some range of each overlaps a common slot;
so the test is exact when the window's ranges start and end on the slot grid (every range of
the coach overlapping a slot of such a window overlaps the window itself).

`hour_keys`: one integer per (zone, weekday, block of BLOCK_SLOTS slots) in which the coach
works: `zone_code(zone) * 56 + weekday * 8 + block`. Indexed next to the tokens, they let the
index find coaches working in the blocks a window touches in each zone, a superset of those
available (a block is coarser than a slot, and two zones may share a code); the masks decide.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

PRICE_BUCKET = 1000  # minor units: 10.00 of most currencies
MAX_PRICE_BUCKETS = 40  # a wider range is left to the rate column alone
SLOT_MINUTES = 30
BLOCK_SLOTS = 6  # three hours
BLOCKS_PER_DAY = 1440 // SLOT_MINUTES // BLOCK_SLOTS


def specialty_token(slug: str) -> str:
    return f"s:{slug}"


def language_token(tag: str) -> str:
    return f"l:{tag}"


def primary_language_token(primary: str) -> str:
    return f"lp:{primary}"


def session_type_token(session_type: str) -> str:
    return f"t:{session_type}"


def price_token(session_type: str, currency: str, rate_minor: int) -> str:
    return f"p:{session_type}:{currency}:{rate_minor // PRICE_BUCKET}"


def price_tokens(
    session_type: str, currency: str, low: int | None, high: int | None
) -> list[str] | None:
    """The price tokens of rates in [low, high], or None when that is too many buckets."""
    first, last = (low or 0) // PRICE_BUCKET, None if high is None else high // PRICE_BUCKET
    if last is None or last - first >= MAX_PRICE_BUCKETS:
        return None
    return [f"p:{session_type}:{currency}:{bucket}" for bucket in range(first, last + 1)]


def retokened(
    tokens: Iterable[str], prefix: str | tuple[str, ...], replacements: Iterable[str]
) -> list[str]:
    """`tokens` with those starting with `prefix` replaced by `replacements`, sorted."""
    return sorted({*(t for t in tokens if not t.startswith(prefix)), *replacements})


def slot_mask(start_minute: int, end_minute: int) -> int:
    """The slots that [start_minute, end_minute) of one day overlaps, as bits."""
    first, last = start_minute // SLOT_MINUTES, -(-end_minute // SLOT_MINUTES)
    return (1 << last) - (1 << first)


def hours_masks(ranges: Iterable[tuple[int, int, int]]) -> list[int]:
    """One slot mask per weekday (Monday first) for these (weekday, start, end) ranges."""
    masks = [0] * 7
    for day, start, end in ranges:
        masks[day] |= slot_mask(start, end)
    return masks


def on_grid(ranges: Iterable[tuple[int, int, int]]) -> bool:
    return all(start % SLOT_MINUTES == end % SLOT_MINUTES == 0 for _, start, end in ranges)


def zone_code(zone: str) -> int:
    """A stable number for a zone name, under 2**24 (a 32-bit key leaves room for 56 blocks)."""
    return zlib.crc32(zone.encode()) & 0xFFFFFF


def hour_keys(zone: str, masks: Sequence[int]) -> list[int]:
    """The keys of the blocks in which these weekday masks have a slot, in `zone`."""
    block = (1 << BLOCK_SLOTS) - 1
    base = zone_code(zone) * 7 * BLOCKS_PER_DAY
    return [
        base + day * BLOCKS_PER_DAY + b
        for day, mask in enumerate(masks)
        for b in range(BLOCKS_PER_DAY)
        if (mask >> (b * BLOCK_SLOTS)) & block
    ]
