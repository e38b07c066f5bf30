"""The wire form of a coach's profile, shared by the application and the profile edit.

Shapes and ranges are checked here (unknown fields, types, lengths, rates, durations, clock
times); what needs the rules or the database (time zones, languages, specialties, currencies,
overlapping hours, expiry) is checked by `booking.services.profiles` with its own error codes.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from booking.policy.profiles import DURATION_STEP, MAX_DURATION, MAX_RATE_MINOR, MIN_DURATION
from booking.services.profiles import (
    PROFILE_FIELDS,
    CredentialDraft,
    HoursDraft,
    OfferingDraft,
    ProfileDraft,
)
from realtime.errors import FieldError, ValidationFailed
from realtime.http import Day, Input

SessionType = Literal["video", "phone", "chat"]
Duration = Annotated[
    StrictInt,
    Field(
        ge=MIN_DURATION,
        le=MAX_DURATION,
        multiple_of=DURATION_STEP,
        description="Minutes: 10 to 240 in steps of 5.",
        examples=[20, 50, 90],
    ),
]


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise PydanticCustomError("https_url", "must be an https:// URL")
    return value


HttpsUrl = Annotated[str, Field(max_length=500), AfterValidator(_https)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["America/New_York"])]
LanguageTag = Annotated[str, Field(min_length=1, max_length=35, examples=["pt-BR"])]
SpecialtySlug = Annotated[str, Field(min_length=1, max_length=64, examples=["couples-therapy"])]
Currency = Annotated[str, Field(min_length=3, max_length=3, examples=["USD"])]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00"])]


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


class OfferingIn(Input):
    session_type: SessionType
    rate_minor: StrictInt = Field(
        gt=0, le=MAX_RATE_MINOR, description="Hourly rate in minor units of `currency`."
    )
    durations: list[Duration] = Field(min_length=1, max_length=8)
    dial_in: bool = Field(
        False,
        description="Video only: clients may also join these sessions by telephone "
        "(docs/phone.md). Phone sessions always may; chat sessions have no call.",
    )

    @model_validator(mode="after")
    def _dial_in_on_video(self) -> OfferingIn:
        if self.dial_in and self.session_type == "chat":
            raise PydanticCustomError("dial_in", "a chat session has no call to join by telephone")
        return self


class HoursIn(Input):
    """A weekly range in the coach's own time zone; weekday 0 is Monday; end exclusive."""

    weekday: StrictInt = Field(ge=0, le=6)
    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> HoursIn:
        if minutes(self.end) <= minutes(self.start) or self.start == "24:00":
            raise PydanticCustomError("hours_order", "end must be after start")
        return self


class CredentialIn(Input):
    license_type: str = Field(min_length=2, max_length=120, examples=["LMFT"])
    license_number: str = Field(min_length=1, max_length=64)
    issuing_country: str = Field(pattern=r"^[A-Z]{2}$", examples=["US"])
    issuing_region: str | None = Field(default=None, pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
    expires_on: Day

    def draft(self) -> CredentialDraft:
        return CredentialDraft(
            license_type=self.license_type,
            license_number=self.license_number,
            issuing_country=self.issuing_country,
            issuing_region=self.issuing_region,
            expires_on=self.expires_on,
        )


def _distinct_types(offerings: list[OfferingIn] | None) -> list[OfferingIn] | None:
    if offerings is not None:
        kinds = [o.session_type for o in offerings]
        if len(set(kinds)) != len(kinds):
            raise PydanticCustomError("duplicate", "each session type at most once")
    return offerings


class ProfileIn(Input):
    display_name: str = Field(min_length=2, max_length=120)
    photo_url: HttpsUrl | None = None
    bio: str = Field(default="", max_length=5000)
    approach: str = Field(default="", max_length=5000)
    time_zone: TimeZoneName
    languages: list[LanguageTag] = Field(min_length=1, max_length=10)
    specialties: list[SpecialtySlug] = Field(min_length=1, max_length=10)
    offerings: list[OfferingIn] = Field(min_length=1, max_length=3)
    currency: Currency = "USD"
    years_experience: StrictInt = Field(ge=0, le=70)
    weekly_hours: list[HoursIn] = Field(default_factory=list, max_length=70)

    _offerings = field_validator("offerings")(_distinct_types)

    def profile_draft(self) -> ProfileDraft:
        return ProfileDraft(
            display_name=self.display_name,
            photo_url=self.photo_url,
            bio=self.bio,
            approach=self.approach,
            time_zone=self.time_zone,
            languages=tuple(self.languages),
            specialties=tuple(self.specialties),
            offerings=tuple(_offering(o) for o in self.offerings),
            currency=self.currency,
            years_experience=self.years_experience,
            weekly_hours=tuple(_hours(h) for h in self.weekly_hours),
        )


class ProfilePatchIn(Input):
    """Only the fields given change; lists are replaced whole."""

    display_name: str | None = Field(default=None, min_length=2, max_length=120)
    photo_url: HttpsUrl | None = Field(default=None, description="null removes the photo")
    bio: str | None = Field(default=None, max_length=5000)
    approach: str | None = Field(default=None, max_length=5000)
    time_zone: TimeZoneName | None = None
    languages: list[LanguageTag] | None = Field(default=None, min_length=1, max_length=10)
    specialties: list[SpecialtySlug] | None = Field(default=None, min_length=1, max_length=10)
    offerings: list[OfferingIn] | None = Field(default=None, min_length=1, max_length=3)
    currency: Currency | None = Field(default=None, description="only together with offerings")
    years_experience: StrictInt | None = Field(default=None, ge=0, le=70)
    weekly_hours: list[HoursIn] | None = Field(default=None, max_length=70)

    _offerings = field_validator("offerings")(_distinct_types)

    def profile_draft(self) -> ProfileDraft:
        given = frozenset(self.model_fields_set) & PROFILE_FIELDS
        nulls = sorted(f for f in given if f != "photo_url" and getattr(self, f) is None)
        if nulls:
            raise ValidationFailed([FieldError(f, "must not be null") for f in nulls])
        return ProfileDraft(
            display_name=self.display_name or "",
            photo_url=self.photo_url,
            bio=self.bio or "",
            approach=self.approach or "",
            time_zone=self.time_zone or "UTC",
            languages=tuple(self.languages or ()),
            specialties=tuple(self.specialties or ()),
            offerings=tuple(_offering(o) for o in self.offerings or ()),
            currency=self.currency or "USD",
            years_experience=self.years_experience or 0,
            weekly_hours=tuple(_hours(h) for h in self.weekly_hours or ()),
            given=given,
        )


def _offering(o: OfferingIn) -> OfferingDraft:
    return OfferingDraft(o.session_type, o.rate_minor, tuple(o.durations), o.dial_in)


def _hours(h: HoursIn) -> HoursDraft:
    return HoursDraft(h.weekday, minutes(h.start), minutes(h.end))
