"""What a valid coach profile is.

Languages are BCP 47 tags, canonicalised (`pt_br` and `PT-br` are both `pt-BR`, the deprecated
`iw` is `he`) and kept with their primary language subtag, so a directory search for `pt` finds
`pt-BR` and `pt-PT` while `pt-BR` finds only `pt-BR`. `und` (undetermined) is not a language.

Time zones are IANA names that the tz database knows (`America/New_York`); offsets such as
`+02:00` are refused, as they do not follow daylight saving time.

Session types are video, phone and chat, each with its own hourly rate in integer minor units of
the coach's currency (positive, at most MAX_RATE_MINOR) and the durations it can be booked for:
any whole number of minutes from MIN_DURATION to MAX_DURATION in steps of DURATION_STEP (a
20-minute check-in, 45, 90 or 120-minute sessions).

Weekly ranges that overlap on one weekday are merged (`merged`): 09:00-12:00 and 11:00-14:00 mean
09:00-14:00. Ranges that only touch stay apart, as each keeps its own slot grid.

Credentials name an ISO 3166-1 alpha-2 country and, where licences are issued by a state or
province, its ISO 3166-2 code (`US-CA`), which must lie in that country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import langcodes

SESSION_TYPES = ("video", "phone", "chat")
MIN_DURATION = 10
MAX_DURATION = 240
DURATION_STEP = 5
MAX_RATE_MINOR = 10_000_00
MIN_REFERENCES = 2

_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")
_REGION = re.compile(r"^([A-Z]{2})-[A-Z0-9]{1,3}$")

_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
    BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
    GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
    KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
    MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
    TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
    ZW
"""
COUNTRIES = frozenset(_COUNTRY_CODES.split())


@dataclass(frozen=True)
class LanguageTag:
    tag: str
    primary: str


def language(raw: str) -> LanguageTag | None:
    """The canonical form of a BCP 47 tag, or None if it is not one."""
    if not raw or len(raw) > 35:
        return None
    try:
        if not langcodes.tag_is_valid(raw):
            return None
        tag = langcodes.standardize_tag(raw)
        primary = langcodes.Language.get(tag).language
    except (ValueError, LookupError):
        return None
    if not primary or primary == "und" or len(primary) > 8:
        return None
    return LanguageTag(str(tag), str(primary))


def time_zone(name: str) -> ZoneInfo | None:
    """The IANA zone of this name, or None if the tz database has no such zone."""
    if len(name) > 64 or not _ZONE_NAME.match(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_country(code: str) -> bool:
    return code in COUNTRIES


def region_in_country(region: str, country: str) -> bool:
    """Whether `region` is an ISO 3166-2 subdivision code of `country` (by its form)."""
    match = _REGION.match(region)
    return match is not None and match.group(1) == country


def is_duration(minutes: int) -> bool:
    """Whether a session (or a slot interval) may last `minutes`."""
    return MIN_DURATION <= minutes <= MAX_DURATION and minutes % DURATION_STEP == 0


def merged(ranges: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Weekly ranges (weekday, start, end) with those overlapping on one weekday merged, in
    order; ranges that only touch stay apart."""
    result: list[tuple[int, int, int]] = []
    for weekday, start, end in sorted(ranges):
        if result and result[-1][0] == weekday and start < result[-1][2]:
            result[-1] = (weekday, result[-1][1], max(result[-1][2], end))
        else:
            result.append((weekday, start, end))
    return result
