"""Checking a coach's profile against the rules and writing it, for applications and edits.

`check()` finds every problem a well-formed profile can still have (an unknown time zone,
language, specialty or currency; a currency change without new rates)
and raises before anything is written; `write()` then stores it, replacing whole lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import CURRENCIES
from booking.policy import profiles
from booking.storage import coaches as coach_store
from booking.storage import specialties as specialty_store
from booking.storage.coaches import Coach
from realtime.auth.identifiers import check_display_name
from realtime.errors import Code, FieldError, Unprocessable, ValidationFailed

PROFILE_FIELDS = frozenset(
    {
        "display_name",
        "photo_url",
        "bio",
        "approach",
        "time_zone",
        "languages",
        "specialties",
        "offerings",
        "currency",
        "years_experience",
        "weekly_hours",
    }
)


@dataclass(frozen=True)
class OfferingDraft:
    session_type: str
    rate_minor: int
    durations: tuple[int, ...]
    dial_in: bool = False  # video: clients may also join by telephone


@dataclass(frozen=True)
class HoursDraft:
    """Weekday 0 (Monday) to 6, minutes from local midnight, end exclusive (1440 at most)."""

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class CredentialDraft:
    license_type: str
    license_number: str
    issuing_country: str
    expires_on: date
    issuing_region: str | None = None


@dataclass(frozen=True)
class ProfileDraft:
    """A profile, or the part of one named in `given` (an edit)."""

    display_name: str = ""
    photo_url: str | None = None
    bio: str = ""
    approach: str = ""
    time_zone: str = "UTC"
    languages: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    offerings: tuple[OfferingDraft, ...] = ()
    currency: str = "USD"
    years_experience: int = 0
    weekly_hours: tuple[HoursDraft, ...] = ()
    given: frozenset[str] = field(default=PROFILE_FIELDS)


@dataclass(frozen=True)
class CheckedProfile:
    draft: ProfileDraft
    languages: tuple[profiles.LanguageTag, ...]


async def check(session: AsyncSession, draft: ProfileDraft, *, prefix: str = "") -> CheckedProfile:
    """The draft with canonical languages, or an error naming each bad field."""
    given = draft.given
    if "display_name" in given:
        try:
            check_display_name(draft.display_name)
        except ValueError as exc:
            raise ValidationFailed([FieldError(f"{prefix}display_name", str(exc))]) from None
    if "time_zone" in given and profiles.time_zone(draft.time_zone) is None:
        raise Unprocessable(
            Code.UNKNOWN_TIME_ZONE,
            [FieldError(f"{prefix}time_zone", f"{draft.time_zone!r} is not an IANA time zone")],
        )
    languages: list[profiles.LanguageTag] = []
    if "languages" in given:
        bad = []
        for i, raw in enumerate(draft.languages):
            tag = profiles.language(raw)
            if tag is None:
                bad.append(FieldError(f"{prefix}languages.{i}", f"{raw!r} is not a BCP 47 tag"))
            elif tag not in languages:
                languages.append(tag)
        if bad:
            raise Unprocessable(Code.UNKNOWN_LANGUAGE, bad)
    if "specialties" in given:
        known = await specialty_store.known(session, draft.specialties)
        bad = [
            FieldError(f"{prefix}specialties.{i}", f"{slug!r} is not on the specialty list")
            for i, slug in enumerate(draft.specialties)
            if slug not in known
        ]
        if bad:
            raise Unprocessable(Code.UNKNOWN_SPECIALTY, bad)
    if "currency" in given:
        if draft.currency not in CURRENCIES:
            raise Unprocessable(
                Code.UNSUPPORTED_CURRENCY,
                [FieldError(f"{prefix}currency", f"{draft.currency!r} is not a currency we take")],
            )
        if "offerings" not in given:
            raise ValidationFailed(
                [FieldError(f"{prefix}currency", "change the currency together with offerings")]
            )
    if "weekly_hours" in given:
        ranges = [(h.weekday, h.start_minute, h.end_minute) for h in draft.weekly_hours]
        hours = tuple(HoursDraft(*r) for r in profiles.merged(ranges))
        draft = replace(draft, weekly_hours=hours)
    return CheckedProfile(draft, tuple(languages))


def check_credentials(
    credentials: tuple[CredentialDraft, ...], today: date, *, prefix: str = "credentials"
) -> None:
    """Each credential names a known country (and a region in it) and has not expired."""
    bad = []
    for i, c in enumerate(credentials):
        if not profiles.is_country(c.issuing_country):
            bad.append(
                FieldError(
                    f"{prefix}.{i}.issuing_country",
                    f"{c.issuing_country!r} is not an ISO 3166-1 alpha-2 country code",
                )
            )
        elif c.issuing_region is not None and not profiles.region_in_country(
            c.issuing_region, c.issuing_country
        ):
            bad.append(
                FieldError(
                    f"{prefix}.{i}.issuing_region",
                    f"{c.issuing_region!r} is not an ISO 3166-2 code in {c.issuing_country}",
                )
            )
        if c.expires_on <= today:
            bad.append(FieldError(f"{prefix}.{i}.expires_on", "must be a future date"))
    if bad:
        raise ValidationFailed(bad)


async def write(
    session: AsyncSession, coach: Coach, checked: CheckedProfile, now: datetime
) -> None:
    """Store the checked fields on the coach, replacing whole lists."""
    draft, given = checked.draft, checked.draft.given
    for name in ("display_name", "photo_url", "bio", "approach", "time_zone", "currency"):
        if name in given:
            setattr(coach, name, getattr(draft, name))
    if "years_experience" in given:
        coach.years_experience = draft.years_experience
    coach.updated_at = now
    await session.flush()
    if "specialties" in given:
        await coach_store.replace_specialties(session, coach.id, dict.fromkeys(draft.specialties))
    if "languages" in given:
        await coach_store.replace_languages(
            session, coach.id, [(t.tag, t.primary) for t in checked.languages]
        )
    if "offerings" in given:
        await coach_store.replace_offerings(
            session,
            coach.id,
            [
                (o.session_type, o.rate_minor, sorted(set(o.durations)), o.dial_in)
                for o in draft.offerings
            ],
        )
        coach.min_rate_minor = min((o.rate_minor for o in draft.offerings), default=None)
    if "weekly_hours" in given:
        await coach_store.replace_weekly_hours(
            session,
            coach.id,
            sorted((h.weekday, h.start_minute, h.end_minute) for h in draft.weekly_hours),
        )
    elif "time_zone" in given:
        # The directory's index keys of the weekly hours name the zone.
        coach_store.refresh_hour_keys(coach)
