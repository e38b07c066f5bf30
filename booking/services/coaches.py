"""Coach profiles: the card the directory shows, the public profile, the coach's own view and
edits, and the commission admins set."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import verification
from booking.policy.sessions import dial_in
from booking.services import profile_changes, profiles
from booking.services.applications import ApplicationView, CredentialView, EventView, views_of
from booking.services.reviews import Rating, RatingSummary, ReviewView, rating_summary
from booking.storage import applications as application_store
from booking.storage import coaches as coach_store
from booking.storage.coaches import Coach, Credential
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, NotFound

PROFILE_REVIEWS = 5


@dataclass(frozen=True)
class Named:
    slug: str
    name: str


@dataclass(frozen=True)
class OfferingView:
    session_type: str
    rate_minor: int
    durations: list[int]
    dial_in: bool = False


@dataclass(frozen=True)
class CoachCard:
    """A coach as the directory and favourites list them."""

    id: uuid.UUID
    display_name: str
    photo_url: str | None
    specialties: list[Named]
    languages: list[str]
    session_types: list[OfferingView]
    currency: str
    rating: Rating
    badges: list[Named]
    years_experience: int
    time_zone: str
    online: bool  # has the app open now (signalling presence)
    # The start of the earliest free slot of any type and length offered, within
    # booking.services.openings.HORIZON (None: nothing free that soon), kept up to date within
    # seconds of a change.
    next_available: datetime | None


@dataclass(frozen=True)
class PublicCredential:
    license_type: str
    issuing_country: str
    issuing_region: str | None
    expires_on: date
    verified: bool


@dataclass(frozen=True)
class CoachProfile(CoachCard):
    """The public profile: the card plus what a client reads before booking."""

    rating: RatingSummary
    bio: str
    approach: str
    credentials: list[PublicCredential]
    reviews: list[ReviewView]


class OnlineStatus(Protocol):
    """Who has the app open now (signalling presence, shared by every server process)."""

    async def online(self, user_ids: list[uuid.UUID]) -> set[uuid.UUID]: ...


class NobodyOnline:
    """No presence to ask (a services graph built without socket.io)."""

    async def online(self, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        return set()


@dataclass(frozen=True)
class Verification:
    status: str
    verified_at: datetime | None
    reverify_by: datetime | None
    lapsed: bool
    listed: bool


@dataclass(frozen=True)
class HoursView:
    weekday: int
    start: str
    end: str


@dataclass(frozen=True)
class CoachSelf(CoachCard):
    """Everything about a coach, as the coach sees it."""

    bio: str
    approach: str
    commission_bps: int
    weekly_hours: list[HoursView]
    credentials: list[CredentialView]
    verification: Verification
    applications: list[ApplicationView]
    events: list[EventView]


class CardSource(Protocol):
    """The coach columns a card shows (a `Coach`, or a directory row)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def display_name(self) -> str: ...
    @property
    def photo_url(self) -> str | None: ...
    @property
    def currency(self) -> str: ...
    @property
    def rating_x100(self) -> int: ...
    @property
    def rating_count(self) -> int: ...
    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def years_experience(self) -> int: ...
    @property
    def time_zone(self) -> str: ...
    @property
    def next_available_at(self) -> datetime | None: ...


async def cards(
    session: AsyncSession, coaches: Sequence[CardSource], presence: OnlineStatus
) -> list[CoachCard]:
    """The cards of these coaches, in the given order; who is online asked once for all."""
    lists = await coach_store.lists_for(session, [c.id for c in coaches])
    online = await presence.online([c.user_id for c in coaches]) if coaches else set()
    return [
        CoachCard(
            id=c.id,
            display_name=c.display_name,
            photo_url=c.photo_url,
            specialties=[Named(s.slug, s.name) for s in lists[c.id].specialties],
            languages=lists[c.id].languages,
            session_types=[
                OfferingView(
                    o.session_type,
                    o.rate_minor,
                    o.durations,
                    dial_in(o.session_type, offered=o.dial_in),
                )
                for o in lists[c.id].offerings
            ],
            currency=c.currency,
            rating=Rating(c.rating_x100 / 100 if c.rating_count else None, c.rating_count),
            badges=[Named(b.slug, b.name) for b in lists[c.id].badges],
            years_experience=c.years_experience,
            time_zone=c.time_zone,
            online=c.user_id in online,
            next_available=c.next_available_at,
        )
        for c in coaches
    ]


def _clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Coaches:
    def __init__(self, db: Database, clock: Clock, presence: OnlineStatus | None = None) -> None:
        self.db = db
        self.clock = clock
        self.presence = presence or NobodyOnline()

    async def own(self, user_id: uuid.UUID) -> CoachSelf:
        """The caller's own coach profile."""
        async with self.db.session() as session:
            coach = await _own(session, user_id)
            return await self._self_view(session, coach)

    async def edit(self, user_id: uuid.UUID, draft: profiles.ProfileDraft) -> CoachSelf:
        """Change the given profile fields (lists are replaced whole); a verified coach's new
        name or photo waits for review (`profile_changes`)."""
        now = self.clock.now()
        async with self.db.session() as session:
            coach = await _own(session, user_id, lock=True)
            checked = await profiles.check(session, draft)
            now_part = await profile_changes.split(session, coach, draft, user_id, now)
            checked = replace(checked, draft=now_part)
            await profiles.write(session, coach, checked, now)
            await session.flush()
            return await self._self_view(session, coach)

    async def listed(self, coach_id: uuid.UUID) -> bool:
        """Whether the coach is listed (public): one row read, for `/availability`'s watch."""
        async with self.db.session() as session:
            coach = await coach_store.by_id(session, coach_id)
            return coach is not None and verification.listed(
                coach.verification_status, coach.reverify_by, self.clock.now()
            )

    async def profile(
        self, coach_id: uuid.UUID, viewer: uuid.UUID | None, is_admin: bool
    ) -> CoachProfile:
        """The public profile: hidden unless listed, except to the coach and admins."""
        async with self.db.session() as session:
            coach = await coach_store.by_id(session, coach_id)
            now = self.clock.now()
            if coach is None or not (
                verification.listed(coach.verification_status, coach.reverify_by, now)
                or is_admin
                or coach.user_id == viewer
            ):
                raise NotFound(Code.COACH_NOT_FOUND, f"No listed coach has id {coach_id}.")
            (card,) = await cards(session, [coach], self.presence)
            credentials = await _current_credentials(session, coach.id)
            summary, reviews = await rating_summary(session, coach, PROFILE_REVIEWS)
            return CoachProfile(
                **{**vars(card), "rating": summary},
                bio=coach.bio,
                approach=coach.approach,
                credentials=[
                    PublicCredential(
                        c.license_type,
                        c.issuing_country,
                        c.issuing_region,
                        c.expires_on,
                        c.verified_at is not None and c.expires_on > now.date(),
                    )
                    for c in credentials
                ],
                reviews=reviews,
            )

    async def set_commission(
        self, admin_id: uuid.UUID, coach_id: uuid.UUID, commission_bps: int
    ) -> int:
        async with self.db.session() as session:
            coach = await coach_store.by_id(session, coach_id, lock=True)
            if coach is None:
                raise NotFound(Code.COACH_NOT_FOUND, f"No coach has id {coach_id}.")
            before, coach.commission_bps = coach.commission_bps, commission_bps
            coach.updated_at = self.clock.now()
            application_store.record(
                session,
                coach_id=coach.id,
                application_id=None,
                actor_id=admin_id,
                action="commission_changed",
                at=self.clock.now(),
                note=f"{before} -> {commission_bps} bps",
            )
            return commission_bps

    async def _self_view(self, session: AsyncSession, coach: Coach) -> CoachSelf:
        now = self.clock.now()
        (card,) = await cards(session, [coach], self.presence)
        hours = await coach_store.weekly_hours(session, coach.id)
        applications = await application_store.of_coach(session, coach.id)
        events = await application_store.coach_events(session, coach.id)
        status, reverify_by = coach.verification_status, coach.reverify_by
        return CoachSelf(
            **vars(card),
            bio=coach.bio,
            approach=coach.approach,
            commission_bps=coach.commission_bps,
            weekly_hours=[
                HoursView(h.weekday, _clock_time(h.start_minute), _clock_time(h.end_minute))
                for h in hours
            ],
            credentials=[
                CredentialView.of(c) for c in await _current_credentials(session, coach.id)
            ],
            verification=Verification(
                status=status,
                verified_at=coach.verified_at,
                reverify_by=reverify_by,
                lapsed=verification.lapsed(status, reverify_by, now),
                listed=verification.listed(status, reverify_by, now),
            ),
            applications=await views_of(session, applications),
            events=[EventView.of(e) for e in events],
        )


async def _own(session: AsyncSession, user_id: uuid.UUID, *, lock: bool = False) -> Coach:
    coach = await coach_store.by_user(session, user_id, lock=lock)
    if coach is None:
        raise NotFound(
            Code.NOT_A_COACH,
            "You have no coach profile yet: apply with POST /api/coaches/me/application.",
        )
    return coach


async def _current_credentials(session: AsyncSession, coach_id: uuid.UUID) -> list[Credential]:
    approved = await application_store.latest_approved(session, coach_id)
    if approved is None:
        return []
    return (await coach_store.credentials_of(session, [approved.id]))[approved.id]
