"""Which public register an admin checks a credential in: admins keep a list of registers
(booking.services.registers), each for licences of one issuing country, optionally one region
(state, province) and optionally one licence type; a credential is shown the most specific one
that covers it. Pure: no database here."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Register:
    id: str
    issuing_country: str
    issuing_region: str  # "" for the whole country
    license_type: str  # "" for every licence type issued there (kept as `type_key` makes it)
    name: str
    url: str


def type_key(license_type: str) -> str:
    """A licence type as registers are matched on it: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", license_type).casefold().split())


def best(
    registers: Iterable[Register], country: str, region: str | None, license_type: str
) -> Register | None:
    """The register for a credential: of those covering it, the one naming its region before
    one for the whole country, then the one naming its licence type before one for any type."""
    kind = type_key(license_type)
    ranked = [
        (r.issuing_region != "", r.license_type != "", r)
        for r in registers
        if r.issuing_country == country
        and r.issuing_region in ("", region or "")
        and r.license_type in ("", kind)
    ]
    if not ranked:
        return None
    return max(ranked, key=lambda ranking: (ranking[0], ranking[1]))[2]
