"""A verified coach's change of name or photo waits for an admin before it is public.

Rules, and why: clients choose a therapist by name, face and credentials, which an admin checked
when verifying the coach; a verified coach changing them unchecked could pass as someone else.
So for a coach whose status is `verified`, `split` takes a new display name or a new photo out
of a profile edit and opens an application of kind `profile_change` holding them; everything
else in the edit (bio, approach, rates, hours, languages, ...) is written at once. The public
profile keeps the old name and photo until an admin approves (`apply`); a rejection leaves them
as they were. Removing the photo is immediate (it reveals nothing). Credentials never change by
an edit: new ones come only through a re-verification, which an admin decides as well. One
pending application at a time, as for the other kinds.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy import verification
from booking.services import profiles
from booking.storage import agreements as agreement_store
from booking.storage import applications as application_store
from booking.storage.applications import CoachApplication
from booking.storage.coaches import Coach
from realtime.errors import Code, Conflict

KIND = "profile_change"


def reviewed_changes(coach: Coach, draft: profiles.ProfileDraft) -> dict[str, str]:
    """The name or photo the edit would change on a verified coach, which need a review."""
    if coach.verification_status != verification.VERIFIED:
        return {}
    changes: dict[str, str] = {}
    if "display_name" in draft.given and draft.display_name != coach.display_name:
        changes["display_name"] = draft.display_name
    if "photo_url" in draft.given and draft.photo_url not in (None, coach.photo_url):
        changes["photo_url"] = draft.photo_url
    return changes


async def split(
    session: AsyncSession,
    coach: Coach,
    draft: profiles.ProfileDraft,
    actor: uuid.UUID,
    now: datetime,
) -> profiles.ProfileDraft:
    """The part of the edit to write now; the reviewed part becomes a pending application."""
    changes = reviewed_changes(coach, draft)
    if not changes:
        return draft
    pending = await application_store.pending_for(session, coach.id)
    if pending is not None:
        raise Conflict(
            Code.APPLICATION_EXISTS,
            f"Your application {pending.id} is still pending; change your name or photo once "
            "it is decided.",
        )
    agreement = await agreement_store.current(session)
    assert agreement is not None  # the reference data publishes one
    application = CoachApplication(
        coach_id=coach.id,
        kind=KIND,
        status="pending",
        agreement_version=agreement.version,
        agreement_accepted_at=now,
        submitted_at=now,
        proposed_display_name=changes.get("display_name"),
        proposed_photo_url=changes.get("photo_url"),
    )
    session.add(application)
    await session.flush()
    application_store.record(
        session,
        coach_id=coach.id,
        application_id=application.id,
        actor_id=actor,
        action="submitted",
        at=now,
        note="profile change: " + ", ".join(sorted(changes)),
    )
    return replace(draft, given=draft.given - changes.keys())


def apply(coach: Coach, application: CoachApplication, now: datetime) -> None:
    """An approved profile change makes its name and photo the public ones."""
    if application.proposed_display_name is not None:
        coach.display_name = application.proposed_display_name
    if application.proposed_photo_url is not None:
        coach.photo_url = application.proposed_photo_url
    coach.updated_at = now
