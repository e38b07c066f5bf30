"""The demo's conversations, written through the services a browser uses (sealed and audited
like any other): the live chat session opens on a few messages already exchanged, the last of
them from the coach and unread, so "My sessions" counts it and the room shows history, a typing
indicator and read receipts from the first minute; the completed session with the demo coach
has its side chat and the coach's notes, a private one (the client never sees it) and a shared
one in two versions.

Messages carry fixed `client_msg_id`s, so writing them again on a later start stores nothing
new (a resend); the notes are written on the first start only, as each write is a version.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from booking.policy.notes import Audience
from booking.services.bookings import Party
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach
from realtime.auth.models import User
from realtime.wiring import Services

Lines = tuple[tuple[str, str], ...]

LIVE_CHAT: Lines = (
    ("coach", "Hi! I'm here whenever you're ready. How has the week been since we last spoke?"),
    ("client", "Hi, thanks. Mixed, honestly. We tried the evening check-in twice."),
    ("coach", "Twice is a real start. What happened the second time?"),
)
PAST_CHAT: Lines = (
    ("client", "Sorry, my camera is frozen. Can you still hear me?"),
    ("coach", "I can hear you fine. Let's carry on with audio; I'll type the exercise here."),
    ("coach", "Each evening: ten minutes, phones away, each says one thing that went well."),
    ("client", "Got it. Thank you, that helped a lot today."),
)
PRIVATE_NOTE = (
    "Withdraws when conflict rises; partner escalates. Explore attachment history next time. "
    "Sleep is poor (about 5 h): ask about it again, consider a referral if it persists."
)
SHARED_NOTES = (
    "This week: a ten-minute evening check-in, three times.",
    "This week: a ten-minute evening check-in, three times, phones away. Each of you names "
    "one thing that went well that day. Notice one moment you felt heard and say so.",
)


async def add_conversations(
    services: Services, client_email: str, coach_email: str, *, first_start: bool
) -> None:
    scheduling = services.scheduling
    now = services.clock.now()
    async with services.db.session() as session:
        client_id = await session.scalar(select(User.id).where(User.email == client_email))
        rows = await session.execute(
            select(
                Booking.id,
                Booking.session_type,
                Booking.status,
                Booking.starts_at <= now + timedelta(minutes=10),
                Booking.ends_at > now,
                Coach.user_id,
                User.email,
            )
            .join(Coach, Coach.id == Booking.coach_id)
            .join(User, User.id == Coach.user_id)
            .where(Booking.client_id == client_id)
        )
        bookings = list(rows)
    if client_id is None:
        return
    for booking_id, kind, status, started, not_over, coach_user, email in bookings:
        live_chat = kind == "chat" and status == "confirmed" and started and not_over
        past = status == "completed" and email == coach_email
        if not (live_chat or past):
            continue
        lines = LIVE_CHAT if live_chat else PAST_CHAT
        people = {"coach": coach_user, "client": client_id}
        for number, (role, text) in enumerate(lines, start=1):
            message_id = f"demo-{booking_id}-{number}"
            await scheduling.messages.send(booking_id, people[role], role, message_id, text)
        if live_chat:  # the client has read all but the coach's last message
            await scheduling.messages.mark_read(booking_id, client_id, len(lines) - 1)
        if past and first_start:
            await _notes(services, booking_id, coach_user)


async def _notes(services: Services, booking_id: uuid.UUID, coach_user: uuid.UUID) -> None:
    notes = services.scheduling.notes
    coach = Party(user_id=coach_user)
    await notes.write(coach, booking_id, Audience.PRIVATE, PRIVATE_NOTE)
    for text in SHARED_NOTES:
        await notes.write(coach, booking_id, Audience.SHARED, text)
