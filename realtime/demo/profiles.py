"""Plausible coach profiles, drawn from a seeded `random.Random`, and the rows that store them.

Shared by the demo seed (36 coaches) and the directory benchmark (100,000), so both measure and
show the same shape of data: coaches spread over the Americas, Europe, Asia and Oceania, working
in the local language and often English, charging in the local currency (mostly USD), with
2-5 specialties, 1-3 credentials, weekly hours in their own zone and mostly good reviews.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from booking.policy.ranking import summarise
from booking.storage import reference
from booking.storage.applications import (
    ApplicationEvent,
    CoachApplication,
    ProfessionalReference,
)
from booking.storage.badges import CoachBadge
from booking.storage.coaches import (
    HOURS_MASKS,
    RATES,
    Coach,
    CoachLanguage,
    CoachOffering,
    CoachSpecialty,
    Credential,
    WeeklyHours,
)
from booking.storage.reviews import Review
from booking.storage.search_keys import (
    hour_keys,
    hours_masks,
    language_token,
    price_token,
    primary_language_token,
    session_type_token,
    specialty_token,
)
from realtime.auth.models import Role, User
from realtime.db import Base
from realtime.demo import texts

# Inserted in this order, so every foreign key finds its row.
TABLES: tuple[type[Base], ...] = (
    User,
    Coach,
    CoachApplication,
    Credential,
    CoachSpecialty,
    CoachLanguage,
    CoachOffering,
    WeeklyHours,
    CoachBadge,
    Review,
    ProfessionalReference,
    ApplicationEvent,
)
Rows = dict[type[Base], list[dict[str, Any]]]


class Added(NamedTuple):
    """The ids and dates of a coach `add_coach` added."""

    user_id: uuid.UUID
    coach_id: uuid.UUID
    application_id: uuid.UUID
    submitted: datetime
    decided: datetime | None


class Place(NamedTuple):
    zone: str  # IANA
    city: str
    country: str  # ISO 3166-1 alpha-2
    region: str | None  # ISO 3166-2, where licences are issued by a state or province


@dataclass(frozen=True)
class Locale:
    weight: int
    places: tuple[Place, ...]
    languages: tuple[str, ...]  # every coach here works in these (canonical BCP 47)
    extra_languages: tuple[str, ...]  # and some in one of these too
    licences: tuple[tuple[str, str], ...]  # (licence type, as a coach says it in a bio)
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


def _locale(
    weight: int, places: str, languages: str, extra: str, licences: str, first: str, last: str
) -> Locale:
    """A locale written as text: items split by `;` (names by `,`), fields inside one by `|`."""
    return Locale(
        weight,
        tuple(
            Place(zone, city, country, None if region == "-" else region)
            for zone, city, country, region in (p.strip().split("|") for p in places.split(";"))
        ),
        tuple(languages.split()),
        tuple(extra.split()),
        tuple((kind, title) for kind, title in (x.strip().split("|") for x in licences.split(";"))),
        tuple(first.split(", ")),
        tuple(last.split(", ")),
    )


# fmt: off
LOCALES: tuple[Locale, ...] = (
    _locale(30, "America/New_York|New York|US|US-NY; America/New_York|Boston|US|US-MA;"
                " America/New_York|Atlanta|US|US-GA; America/Chicago|Chicago|US|US-IL;"
                " America/Chicago|Austin|US|US-TX; America/Denver|Denver|US|US-CO;"
                " America/Phoenix|Phoenix|US|US-AZ; America/Los_Angeles|Los Angeles|US|US-CA;"
                " America/Los_Angeles|Seattle|US|US-WA",
            "en", "es es zh-Hans ko vi hi",
            "LMFT|licensed marriage and family therapist; LPC|licensed professional counselor;"
            " LCSW|licensed clinical social worker; PsyD|clinical psychologist",
            "Sarah, Michael, Jasmine, David, Emily, Marcus, Rachel, Daniel, Keisha, Andrea",
            "Bennett, Carter, Nguyen, Goldberg, Washington, Kim, Patel, Rivera, Hughes, Brooks"),
    _locale(5, "America/Toronto|Toronto|CA|CA-ON; America/Vancouver|Vancouver|CA|CA-BC;"
               " America/Toronto|Montréal|CA|CA-QC",
            "en", "fr fr pa zh-Hant",
            "Registered Psychotherapist|registered psychotherapist;"
            " Registered Clinical Counsellor|registered clinical counsellor",
            "Chloé, Liam, Priya, Owen, Mathieu", "Tremblay, MacDonald, Singh, Gagnon"),
    _locale(4, "America/Mexico_City|Mexico City|MX|MX-CMX; America/Bogota|Bogotá|CO|-;"
               " America/Argentina/Buenos_Aires|Buenos Aires|AR|-",
            "es", "en",
            "Licenciatura en Psicología|psychologist",
            "Lucía, Mateo, Valentina, Diego", "Hernández, García, Morales, Castillo"),
    _locale(3, "America/Sao_Paulo|São Paulo|BR|BR-SP; America/Sao_Paulo|Rio de Janeiro|BR|BR-RJ",
            "pt-BR", "en en es",
            "Psicólogo (CRP)|psychologist",
            "Ana, João, Beatriz, Rafael", "Silva, Oliveira, Costa, Almeida"),
    _locale(7, "Europe/London|London|GB|-; Europe/London|Manchester|GB|-;"
               " Europe/London|Edinburgh|GB|-; Europe/Dublin|Dublin|IE|-",
            "en", "fr pl ga",
            "BACP Accredited Counsellor|BACP-accredited counsellor;"
            " UKCP Registered Psychotherapist|UKCP-registered psychotherapist",
            "Charlotte, Oliver, Amara, James, Niamh", "Whitfield, Okafor, Murray, Reid, Byrne"),
    _locale(3, "Europe/Paris|Paris|FR|-; Europe/Paris|Lyon|FR|-",
            "fr", "en en ar",
            "Psychologue clinicien|clinical psychologist",
            "Camille, Julien, Élodie, Théo", "Laurent, Moreau, Girard, Fontaine"),
    _locale(3, "Europe/Berlin|Berlin|DE|DE-BE; Europe/Berlin|Munich|DE|DE-BY",
            "de", "en en tr",
            "Heilpraktiker für Psychotherapie|psychotherapist;"
            " Psychologischer Psychotherapeut|psychological psychotherapist",
            "Lena, Jonas, Miriam, Felix", "Becker, Hoffmann, Schulz, Wagner"),
    _locale(2, "Europe/Madrid|Madrid|ES|ES-MD; Europe/Madrid|Barcelona|ES|ES-CT",
            "es", "en en ca",
            "Psicólogo General Sanitario|psychologist",
            "Carmen, Pablo, Irene", "Navarro, Ruiz, Serrano"),
    _locale(4, "Asia/Kolkata|Mumbai|IN|IN-MH; Asia/Kolkata|Bengaluru|IN|IN-KA;"
               " Asia/Kolkata|Delhi|IN|IN-DL",
            "en hi", "mr ta bn",
            "Clinical Psychologist (RCI)|clinical psychologist",
            "Ananya, Rohan, Meera, Arjun", "Sharma, Iyer, Kapoor, Mehta"),
    _locale(3, "Asia/Singapore|Singapore|SG|-; Asia/Tokyo|Tokyo|JP|-;"
               " Asia/Hong_Kong|Hong Kong|HK|-",
            "en", "zh-Hans ja zh-Hant ms",
            "Registered Counsellor|registered counsellor",
            "Wei, Hana, Jun, Mei", "Tan, Lim, Sato, Wong"),
    _locale(2, "Asia/Dubai|Dubai|AE|AE-DU; Asia/Riyadh|Riyadh|SA|-",
            "ar en", "fr ur",
            "Licensed Psychologist|licensed psychologist",
            "Layla, Omar, Yasmin", "Haddad, Mansour, Khalil"),
    _locale(6, "Australia/Sydney|Sydney|AU|AU-NSW; Australia/Melbourne|Melbourne|AU|AU-VIC;"
               " Australia/Brisbane|Brisbane|AU|AU-QLD; Pacific/Auckland|Auckland|NZ|NZ-AUK",
            "en", "zh-Hans el it mi",
            "Registered Psychologist (AHPRA)|registered psychologist;"
            " Clinical Member (PACFA)|counsellor and psychotherapist",
            "Zoe, Lachlan, Matilda, Tom, Aroha", "Mitchell, Nguyen, O'Brien, Ngata"),
)
CURRENCY = {"CA": "CAD", "GB": "GBP", "IE": "EUR", "FR": "EUR", "DE": "EUR", "ES": "EUR",
            "PT": "EUR", "AU": "AUD", "NZ": "NZD"}
ICF = ("ICF Associate Certified Coach", "ICF Professional Certified Coach",
       "ICF Master Certified Coach")
# Every coach has one of these, then 1-4 specialties of any kind.
CORE = ("couples-therapy", "marriage-counseling", "communication", "conflict-resolution",
        "premarital-counseling", "dating-coaching", "infidelity-recovery")
# Weekly hours: (weekdays, start hour, end hour) in the coach's own zone; weekday 0 is Monday.
WEEKS: tuple[tuple[tuple[tuple[int, ...], int, int], ...], ...] = (
    (((0, 1, 2, 3, 4), 9, 17),),
    (((0, 1, 2, 3), 16, 21), ((5,), 10, 14)),
    (((0, 1, 2, 3, 4), 8, 12), ((0, 1, 2, 3, 4), 13, 16)),
    (((4,), 12, 20), ((5,), 9, 17), ((6,), 10, 16)),
    (((1, 3), 10, 18),),
    (((0, 1, 2, 3, 4), 12, 20),),
    (((0, 2, 4), 7, 13), ((1, 3), 14, 20)),
)
DURATIONS = {"video": ((50,), (50, 90), (30, 60, 90), (60,), (60, 90)),
             "phone": ((30, 60), (50,), (60,)),
             "chat": ((30,), (30, 60), (60,))}
# (session type, chance a coach offers it, its rate as a percentage of the video rate)
SESSION_TYPES = (("video", 0.9, 100), ("phone", 0.5, 90), ("chat", 0.35, 70))
# fmt: on
SPECIALTY_NAMES = dict(reference.SPECIALTIES)
WEIGHTS = [locale.weight for locale in LOCALES]


@dataclass(frozen=True)
class CoachDraft:
    """Everything about one generated coach except ids and account details."""

    display_name: str
    place: Place
    currency: str
    bio: str
    approach: str
    years_experience: int
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    offerings: tuple[tuple[str, int, tuple[int, ...]], ...]  # (session type, rate, durations)
    credentials: tuple[tuple[str, str, str, str | None, int], ...]  # (..., days to expiry)
    hours: tuple[tuple[int, int, int], ...]  # (weekday, start minute, end minute)
    ratings: tuple[int, ...]
    badges: tuple[str, ...]
    commission_bps: int
    review_days: int  # between applying and the decision


def draft_coach(rng: random.Random, taken: set[str] | None = None) -> CoachDraft:
    """A plausible coach; with `taken`, one whose name is not in it (and is then added)."""
    locale = rng.choices(LOCALES, weights=WEIGHTS)[0]
    place = rng.choice(locale.places)
    name = f"{rng.choice(locale.first_names)} {rng.choice(locale.last_names)}"
    while taken is not None and name in taken:
        name = f"{rng.choice(locale.first_names)} {rng.choice(locale.last_names)}"
    if taken is not None:
        taken.add(name)
    years = rng.randint(2, 30)
    licence, title = rng.choice(locale.licences)
    specialties = [rng.choice(CORE)]
    rest = [slug for slug, _ in reference.SPECIALTIES if slug != specialties[0]]
    specialties += rng.sample(rest, rng.randint(1, 4))
    if locale.languages[0] == "es" and "couples-therapy" not in specialties:
        # Spanish-first practices lead with couples therapy, so the README's directory
        # example (Spanish and couples therapy) finds coaches (drawing nothing more).
        specialties[0] = "couples-therapy"
    languages = list(locale.languages)
    if rng.random() < 0.35:
        languages.append(rng.choice(locale.extra_languages))
    if "en" not in languages and rng.random() < 0.6:
        languages.append("en")
    focus = [_in_a_sentence(SPECIALTY_NAMES[slug]) for slug in specialties[:2]]
    bio = " ".join(
        (
            rng.choice(texts.OPENINGS).format(licence=title, city=place.city, years=years),
            rng.choice(texts.FOCUS).format(s1=focus[0], s2=focus[1]),
            rng.choice(texts.PERSONAL),
        )
    )
    return CoachDraft(
        display_name=name,
        place=place,
        currency=CURRENCY.get(place.country, "USD"),
        bio=bio,
        approach=rng.choice(texts.APPROACHES),
        years_experience=years,
        specialties=tuple(specialties),
        languages=tuple(dict.fromkeys(languages)),
        offerings=_offerings(rng, years),
        credentials=_credentials(rng, place, licence),
        hours=_hours(rng),
        ratings=_ratings(rng),
        badges=_badges(rng, specialties),
        commission_bps=rng.choice((1500, 1500, 2000, 2000, 2000, 2500, 2500)),  # the tiers
        review_days=rng.randint(2, 12),
    )


def _in_a_sentence(name: str) -> str:
    """ "Couples therapy" -> "couples therapy", but "LGBTQ+ relationships" stays."""
    return name if name[:2].isupper() else name[0].lower() + name[1:]


def _offerings(rng: random.Random, years: int) -> tuple[tuple[str, int, tuple[int, ...]], ...]:
    """Hourly rates from 60.00 to 250.00, higher with experience, in whole units."""
    video = min(25_000, 6_000 + years * 350 + rng.randint(-15, 40) * 100)
    offered = [(kind, share) for kind, chance, share in SESSION_TYPES if rng.random() < chance]
    return tuple(
        (kind, max(6_000, video * share // 10_000 * 100), rng.choice(DURATIONS[kind]))
        for kind, share in offered or [("video", 100)]
    )


def _credentials(
    rng: random.Random, place: Place, licence: str
) -> tuple[tuple[str, str, str, str | None, int], ...]:
    number = f"{place.region or place.country}-{rng.randint(10_000, 999_999)}"
    found = [(licence, number, place.country, place.region, rng.randint(90, 1_000))]
    if rng.random() < 0.45:  # the ICF certifies coaches from the United States
        found.append((rng.choice(ICF), f"ICF-{rng.randint(100_000, 999_999)}", "US", None, 900))
    if rng.random() < 0.1:
        found.append(("Gottman Method Level 2", f"GI-{rng.randint(1_000, 9_999)}", "US", None, 700))
    return tuple(found)


def _hours(rng: random.Random) -> tuple[tuple[int, int, int], ...]:
    shift = rng.choice((-1, 0, 0, 1))
    return tuple(
        (day, max(0, start + shift) * 60, min(24, end + shift) * 60)
        for days, start, end in rng.choice(WEEKS)
        for day in days
    )


def _ratings(rng: random.Random) -> tuple[int, ...]:
    """0-40 reviews, mostly 4 and 5 stars, better for some coaches than others."""
    count = 0 if rng.random() < 0.1 else rng.randint(1, 40)
    quality = rng.random()
    cuts = (0.45 + 0.4 * quality, 0.82 + 0.12 * quality, 0.94 + 0.04 * quality, 0.985)
    return tuple(5 - sum(rng.random() >= cut for cut in cuts) for _ in range(count))


def _badges(rng: random.Random, specialties: list[str]) -> tuple[str, ...]:
    found = []
    if {"couples-therapy", "marriage-counseling"} & set(specialties) and rng.random() < 0.4:
        found.append(rng.choice(("gottman-certified", "eft-certified", "imago")))
    if "premarital-counseling" in specialties and rng.random() < 0.5:
        found.append("prepare-enrich")
    if "intimacy-sexuality" in specialties and rng.random() < 0.4:
        found.append("aasect")
    return tuple(found)


def search_columns(draft: CoachDraft) -> dict[str, Any]:
    """The coach's columns that repeat the link tables for the directory, as
    `booking.storage.coaches.replace_*` write them."""
    tokens = {
        *map(specialty_token, draft.specialties),
        *map(language_token, draft.languages),
        *(primary_language_token(tag.split("-")[0]) for tag in draft.languages),
        *(session_type_token(kind) for kind, _, _ in draft.offerings),
        *(price_token(kind, draft.currency, rate) for kind, rate, _ in draft.offerings),
    }
    rates = {kind: rate for kind, rate, _ in draft.offerings}
    masks = hours_masks(draft.hours)
    return {
        "search_tokens": sorted(tokens),
        **{column.key: rates.get(kind) for kind, column in RATES.items()},
        **{column.key: mask for column, mask in zip(HOURS_MASKS, masks, strict=True)},
        "hour_keys": hour_keys(draft.place.zone, masks),
    }


def user_row(
    user_id: uuid.UUID, email: str, password_hash: str, role: Role, name: str, created: datetime
) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "password_hash": password_hash,
        "role": role.value,
        "display_name": name,
        "time_zone": "UTC",
        "created_at": created,
        "token_version": 0,
        # Demo and benchmark accounts book at once: their addresses count as confirmed.
        "email_verified_at": created,
    }


def add_coach(
    rows: Rows,
    draft: CoachDraft,
    now: datetime,
    *,
    email: str,
    password_hash: str,
    status: str = "verified",
    reverify_in: timedelta = timedelta(days=180),
    admin_id: uuid.UUID | None = None,
) -> Added:
    """Add one coach's account, profile, badge and application rows (not its references, events
    or reviews) to `rows`. A verified coach was approved by `admin_id` a year before
    `reverify_in` from `now`; a pending one applied `draft.review_days` ago."""
    user_id, coach_id, application_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    verified = status == "verified"
    decided = now + reverify_in - timedelta(days=365) if verified else None
    submitted = (decided or now) - timedelta(days=draft.review_days)
    summary = summarise(sum(draft.ratings), len(draft.ratings))
    user = user_row(user_id, email, password_hash, Role.COACH, draft.display_name, submitted)
    rows[User].append({**user, "time_zone": draft.place.zone})
    rows[Coach].append(
        {
            "id": coach_id,
            "user_id": user_id,
            "display_name": draft.display_name,
            "photo_url": f"https://images.flourish.example/coaches/{len(rows[Coach]) + 1}.jpg",
            "bio": draft.bio,
            "approach": draft.approach,
            "time_zone": draft.place.zone,
            "years_experience": draft.years_experience,
            "currency": draft.currency,
            "verification_status": status,
            "verified_at": decided,
            "reverify_by": now + reverify_in if verified else None,
            "commission_bps": draft.commission_bps,
            "rating_x100": summary.rating_x100,
            "rating_count": summary.rating_count,
            "rank_score": summary.rank_score,
            "min_rate_minor": min(rate for _, rate, _ in draft.offerings),
            "created_at": submitted,
            "updated_at": decided or submitted,
            **search_columns(draft),
        }
    )
    rows[CoachApplication].append(
        {
            "id": application_id,
            "coach_id": coach_id,
            "kind": "initial",
            "status": "approved" if verified else "pending",
            "agreement_version": reference.AGREEMENT_VERSION,
            "agreement_accepted_at": submitted,
            "submitted_at": submitted,
            "decided_at": decided,
            "decided_by": admin_id if verified else None,
            "decision_reason": None,
        }
    )
    rows[CoachSpecialty] += [{"coach_id": coach_id, "specialty": s} for s in draft.specialties]
    rows[CoachLanguage] += [
        {"coach_id": coach_id, "tag": tag, "primary_tag": tag.split("-")[0]}
        for tag in draft.languages
    ]
    rows[CoachOffering] += [
        {
            "coach_id": coach_id,
            "session_type": kind,
            "rate_minor": rate,
            "durations": list(d),
            "dial_in": False,
        }
        for kind, rate, d in draft.offerings
    ]
    rows[Credential] += [
        {
            "id": uuid.uuid4(),
            "coach_id": coach_id,
            "application_id": application_id,
            "license_type": kind,
            "license_number": number,
            "issuing_country": country,
            "issuing_region": region,
            "expires_on": now.date() + timedelta(days=days),
            "verified_at": decided,
        }
        for kind, number, country, region, days in draft.credentials
    ]
    rows[CoachBadge] += [
        {"coach_id": coach_id, "badge": badge, "granted_by": admin_id, "granted_at": decided}
        for badge in (draft.badges if verified else ())
    ]
    rows[WeeklyHours] += [
        {"id": uuid.uuid4(), "coach_id": coach_id, "weekday": d, "start_minute": s, "end_minute": e}
        for d, s, e in draft.hours
    ]
    return Added(user_id, coach_id, application_id, submitted, decided)
