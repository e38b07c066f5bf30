"""Applying, re-verifying, and the admin's decision; every step is an event with its actor.
The lifecycle's rules are in `booking.policy.verification`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import cursors, verification
from booking.policy.ranking import summarise
from booking.services import profile_changes, profiles
from booking.services.registers import RegisterLink, links_for
from booking.storage import agreements as agreement_store
from booking.storage import applications as application_store
from booking.storage import coaches as coach_store
from booking.storage.applications import ApplicationEvent, CoachApplication, ProfessionalReference
from booking.storage.coaches import Coach, Credential
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import BadRequest, Code, Conflict, NotFound

ORDERING = "applications"


@dataclass(frozen=True)
class ReferenceDraft:
    name: str
    email: str
    relationship: str
    phone: str | None = None


@dataclass(frozen=True)
class ApplicationDraft:
    profile: profiles.ProfileDraft
    credentials: tuple[profiles.CredentialDraft, ...]
    references: tuple[ReferenceDraft, ...]
    agreement_version: str


@dataclass(frozen=True)
class CredentialView:
    id: uuid.UUID
    license_type: str
    license_number: str
    issuing_country: str
    issuing_region: str | None
    expires_on: date
    verified: bool
    verified_at: datetime | None
    # Where an admin checks it (the admins' list of public registers), if one covers it.
    public_register: RegisterLink | None = None

    @classmethod
    def of(cls, c: Credential, register: RegisterLink | None = None) -> CredentialView:
        return cls(
            c.id,
            c.license_type,
            c.license_number,
            c.issuing_country,
            c.issuing_region,
            c.expires_on,
            c.verified_at is not None,
            c.verified_at,
            register,
        )


@dataclass(frozen=True)
class EventView:
    id: uuid.UUID
    at: datetime
    action: str
    actor_id: uuid.UUID | None
    note: str | None

    @classmethod
    def of(cls, e: ApplicationEvent) -> EventView:
        return cls(e.id, e.at, e.action, e.actor_id, e.note)


@dataclass(frozen=True)
class ApplicationView:
    id: uuid.UUID
    coach_id: uuid.UUID
    kind: str
    status: str
    agreement_version: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    proposed_display_name: str | None
    proposed_photo_url: str | None
    credentials: list[CredentialView]
    events: list[EventView]


@dataclass(frozen=True)
class ReferenceView:
    name: str
    email: str
    relationship: str
    phone: str | None


@dataclass(frozen=True)
class ApplicationDetail(ApplicationView):
    """An application as the admin deciding it sees it."""

    coach_display_name: str
    coach_status: str
    decided_by: uuid.UUID | None
    references: list[ReferenceView]


@dataclass(frozen=True)
class QueueItem:
    id: uuid.UUID
    coach_id: uuid.UUID
    kind: str
    status: str
    submitted_at: datetime


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    next_cursor: str | None


async def views_of(
    session: AsyncSession, applications: Sequence[CoachApplication]
) -> list[ApplicationView]:
    ids = [a.id for a in applications]
    credentials = await coach_store.credentials_of(session, ids)
    events = await application_store.events_of(session, ids)
    every = [c for a in applications for c in credentials[a.id]]
    links = await links_for(
        session, [(c.issuing_country, c.issuing_region, c.license_type) for c in every]
    )
    register = {c.id: link for c, link in zip(every, links, strict=True)}
    return [
        ApplicationView(
            id=a.id,
            coach_id=a.coach_id,
            kind=a.kind,
            status=a.status,
            agreement_version=a.agreement_version,
            submitted_at=a.submitted_at,
            decided_at=a.decided_at,
            decision_reason=a.decision_reason,
            proposed_display_name=a.proposed_display_name,
            proposed_photo_url=a.proposed_photo_url,
            credentials=[CredentialView.of(c, register[c.id]) for c in credentials[a.id]],
            events=[EventView.of(e) for e in events[a.id]],
        )
        for a in applications
    ]


class Applications:
    def __init__(self, db: Database, clock: Clock, cursor_key: bytes) -> None:
        self.db = db
        self.clock = clock
        self.cursor_key = cursor_key

    async def submit(self, user_id: uuid.UUID, draft: ApplicationDraft) -> ApplicationView:
        """A coach's (first, or renewed after a rejection) application with their profile."""
        now = self.clock.now()
        profiles.check_credentials(draft.credentials, now.date())
        async with self.db.session() as session:
            checked = await profiles.check(session, draft.profile)
            coach = await coach_store.by_user(session, user_id, lock=True)
            if coach is not None:
                await _refuse_if_pending(session, coach)
                if coach.verification_status == verification.VERIFIED:
                    raise Conflict(
                        Code.ALREADY_VERIFIED,
                        "You are already verified; renew with POST /api/coaches/me/reverification.",
                    )
            await _check_agreement(session, draft.agreement_version)
            if coach is None:
                coach = _new_coach(user_id, draft.profile, now)
                session.add(coach)
                await session.flush()
            coach.verification_status = verification.PENDING
            await profiles.write(session, coach, checked, now)
            application = await _open(session, coach, "initial", draft, user_id, now)
            session.add_all(
                ProfessionalReference(
                    application_id=application.id,
                    name=r.name,
                    email=r.email,
                    relationship=r.relationship,
                    phone=r.phone,
                )
                for r in draft.references
            )
            await session.flush()
            (view,) = await views_of(session, [application])
            return view

    async def reverify(
        self,
        user_id: uuid.UUID,
        credentials: tuple[profiles.CredentialDraft, ...],
        agreement_version: str,
    ) -> ApplicationView:
        """A verified coach (lapsed or not) asks to renew with current credentials."""
        now = self.clock.now()
        profiles.check_credentials(credentials, now.date())
        async with self.db.session() as session:
            coach = await coach_store.by_user(session, user_id, lock=True)
            if coach is None:
                raise NotFound(Code.NOT_A_COACH, "You have no coach profile yet: apply first.")
            await _refuse_if_pending(session, coach)
            if coach.verification_status != verification.VERIFIED:
                raise Conflict(
                    Code.NOT_VERIFIED,
                    "Only verified coaches renew; apply with POST /api/coaches/me/application.",
                )
            await _check_agreement(session, agreement_version)
            draft = ApplicationDraft(profiles.ProfileDraft(), credentials, (), agreement_version)
            application = await _open(session, coach, "reverification", draft, user_id, now)
            (view,) = await views_of(session, [application])
            return view

    async def queue(self, status: str, limit: int, cursor: str | None) -> Queue:
        """Applications with this status, oldest first."""
        after = self._position(cursor, status) if cursor else None
        async with self.db.session() as session:
            rows = await application_store.queue(session, status, limit + 1, after)
        items = [QueueItem(a.id, a.coach_id, a.kind, a.status, a.submitted_at) for a in rows]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = cursors.encode(
                self.cursor_key,
                f"{ORDERING}:{status}",
                [last.submitted_at.isoformat(), str(last.id)],
            )
        return Queue(items[:limit], next_cursor)

    async def detail(self, application_id: uuid.UUID) -> ApplicationDetail:
        async with self.db.session() as session:
            application = await _get(session, application_id)
            return await _detail(session, application)

    async def approve(
        self,
        admin_id: uuid.UUID,
        application_id: uuid.UUID,
        reverify_in_days: int,
        note: str | None,
    ) -> ApplicationDetail:
        """Verify the coach until now + `reverify_in_days`; the application's credentials
        become the coach's current ones. A profile change instead makes its name and photo
        public (the verification stands as it was)."""
        now = self.clock.now()
        async with self.db.session() as session:
            application = await _pending(session, application_id)
            coach = await coach_store.by_id(session, application.coach_id, lock=True)
            assert coach is not None  # the foreign key cascades
            _decide(application, "approved", admin_id, now, None)
            if application.kind == profile_changes.KIND:
                profile_changes.apply(coach, application, now)
            else:
                coach.verification_status = verification.VERIFIED
                coach.verified_at = now
                coach.reverify_by = verification.reverify_deadline(now, reverify_in_days)
                coach.updated_at = now
            for credential in (await coach_store.credentials_of(session, [application.id]))[
                application.id
            ]:
                credential.verified_at = now
            application_store.record(
                session,
                coach_id=coach.id,
                application_id=application.id,
                actor_id=admin_id,
                action="approved",
                at=now,
                note=note,
            )
            await session.flush()
            return await _detail(session, application)

    async def reject(
        self, admin_id: uuid.UUID, application_id: uuid.UUID, reason: str
    ) -> ApplicationDetail:
        """Refuse the application with a reason. A first application leaves the coach
        rejected (and unlisted); a re-verification or a profile change leaves the coach as
        they were."""
        now = self.clock.now()
        async with self.db.session() as session:
            application = await _pending(session, application_id)
            coach = await coach_store.by_id(session, application.coach_id, lock=True)
            assert coach is not None
            _decide(application, "rejected", admin_id, now, reason)
            if application.kind == "initial":
                coach.verification_status = verification.REJECTED
                coach.updated_at = now
            application_store.record(
                session,
                coach_id=coach.id,
                application_id=application.id,
                actor_id=admin_id,
                action="rejected",
                at=now,
                note=reason,
            )
            await session.flush()
            return await _detail(session, application)

    def _position(self, cursor: str, status: str) -> tuple[datetime, uuid.UUID]:
        # The status is part of the ordering's name: a cursor from another queue is refused.
        try:
            at, application_id = cursors.decode(self.cursor_key, f"{ORDERING}:{status}", cursor)
            return datetime.fromisoformat(str(at)), uuid.UUID(str(application_id))
        except ValueError:
            raise BadRequest(
                Code.INVALID_CURSOR, "The cursor is not one this server gave out for this list."
            ) from None


def _new_coach(user_id: uuid.UUID, draft: profiles.ProfileDraft, now: datetime) -> Coach:
    prior = summarise(0, 0)
    return Coach(
        user_id=user_id,
        display_name=draft.display_name,
        time_zone=draft.time_zone,
        verification_status=verification.PENDING,
        commission_bps=2000,
        rating_x100=prior.rating_x100,
        rating_count=prior.rating_count,
        rank_score=prior.rank_score,
        created_at=now,
        updated_at=now,
    )


async def _open(
    session: AsyncSession,
    coach: Coach,
    kind: str,
    draft: ApplicationDraft,
    actor: uuid.UUID,
    now: datetime,
) -> CoachApplication:
    application = CoachApplication(
        coach_id=coach.id,
        kind=kind,
        status="pending",
        agreement_version=draft.agreement_version,
        agreement_accepted_at=now,
        submitted_at=now,
    )
    session.add(application)
    await session.flush()
    session.add_all(
        Credential(
            coach_id=coach.id,
            application_id=application.id,
            license_type=c.license_type,
            license_number=c.license_number,
            issuing_country=c.issuing_country,
            issuing_region=c.issuing_region,
            expires_on=c.expires_on,
        )
        for c in draft.credentials
    )
    application_store.record(
        session,
        coach_id=coach.id,
        application_id=application.id,
        actor_id=actor,
        action="submitted",
        at=now,
        note=f"agreement {draft.agreement_version}",
    )
    await session.flush()
    return application


async def _refuse_if_pending(session: AsyncSession, coach: Coach) -> None:
    pending = await application_store.pending_for(session, coach.id)
    if pending is not None:
        raise Conflict(
            Code.APPLICATION_EXISTS,
            f"Your application {pending.id} is still pending; wait for the decision.",
        )


async def _check_agreement(session: AsyncSession, version: str) -> None:
    current = await agreement_store.current(session)
    if current is None or current.version != version:
        shown = current.version if current is not None else "none"
        raise Conflict(
            Code.AGREEMENT_OUTDATED,
            f"You accepted agreement {version!r}; the current one is {shown!r}. Read it at "
            "GET /api/agreements/current and accept that version.",
        )


async def _get(session: AsyncSession, application_id: uuid.UUID) -> CoachApplication:
    application = await application_store.by_id(session, application_id, lock=True)
    if application is None:
        raise NotFound(Code.APPLICATION_NOT_FOUND, f"No application has id {application_id}.")
    return application


async def _pending(session: AsyncSession, application_id: uuid.UUID) -> CoachApplication:
    application = await _get(session, application_id)
    if application.status != "pending":
        raise Conflict(
            Code.APPLICATION_NOT_PENDING,
            f"This application was already {application.status}; decisions are final.",
        )
    return application


def _decide(
    application: CoachApplication,
    status: str,
    admin_id: uuid.UUID,
    now: datetime,
    reason: str | None,
) -> None:
    application.status = status
    application.decided_at = now
    application.decided_by = admin_id
    application.decision_reason = reason


async def _detail(session: AsyncSession, application: CoachApplication) -> ApplicationDetail:
    coach = await coach_store.by_id(session, application.coach_id)
    assert coach is not None
    (view,) = await views_of(session, [application])
    references = await application_store.references_of(session, application.id)
    return ApplicationDetail(
        **vars(view),
        coach_display_name=coach.display_name,
        coach_status=coach.verification_status,
        decided_by=application.decided_by,
        references=[ReferenceView(r.name, r.email, r.relationship, r.phone) for r in references],
    )
