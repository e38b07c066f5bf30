"""The demo directory that `flourish serve --demo` seeds.

Deterministic (`random.Random(2026)`; only ids differ between runs), idempotent (nothing happens
once the demo admin exists) and written in one transaction straight to the storage models:
36 verified coaches with reviews, badges and approved applications, 2 applicants waiting for an
admin, 1 coach whose verification has lapsed, the three accounts in `LOGINS`, and the demo
client's sessions with the demo coach (two upcoming, one completed, one canceled), with the
demo coach's payments, refund, payouts and ledger (`realtime.demo.money`), and live sessions
open the moment the server starts (`realtime.demo.live`: a video session with the demo coach, a
chat session with another coach), added again on each start, and their conversations
(`realtime.demo.conversations`: chat messages and the coach's notes); the demo coach's resource
library and a worksheet shared into the live video session (`realtime.demo.resources`); the demo
coach's personal calendar, imported so its busy time blocks slots (`realtime.demo.calendars`). Every
other demo account has a password hash nothing matches, so only those three can log in.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.money import Money
from booking.policy import slots
from booking.policy.pricing import session_price
from booking.policy.registers import type_key
from booking.policy.reviews import public_name
from booking.policy.slots import Interval
from booking.services import notifications, reminders
from booking.services.bookings import Party
from booking.services.calendars import calendar_near
from booking.storage.applications import ApplicationEvent, ProfessionalReference
from booking.storage.bookings import Booking
from booking.storage.coaches import Coach, CoachOffering
from booking.storage.registers import LicenseRegister
from booking.storage.reviews import Review
from realtime.app import SERVICES
from realtime.auth.models import Role, User
from realtime.demo import live, texts
from realtime.demo import resources as demo_resources
from realtime.demo.calendars import import_personal_calendar
from realtime.demo.conversations import add_conversations
from realtime.demo.money import seed_money
from realtime.demo.profiles import (
    ICF,
    TABLES,
    Added,
    Rows,
    add_coach,
    draft_coach,
    user_row,
)
from realtime.settings import Settings
from realtime.wiring import Services

DEMO_PASSWORD = "flourish-demo-2026"
CLIENT_EMAIL = "client@demo.flourish.example"
COACH_EMAIL = "coach@demo.flourish.example"
ADMIN_EMAIL = "admin@demo.flourish.example"
LOGINS = ((Role.CLIENT, CLIENT_EMAIL), (Role.COACH, COACH_EMAIL), (Role.ADMIN, ADMIN_EMAIL))
# The demo's dial-in (no Twilio account behind it): `flourish dial-in PIN` signs with the token
# as Twilio would. 555-0100 to 555-0199 are fictional numbers in the North American plan.
DEMO_TWILIO_AUTH_TOKEN = "flourish-demo-twilio-auth-token"
DEMO_PHONE_NUMBER = "+15555550100"


def with_dial_in(settings: Settings) -> Settings:
    """The demo's settings: dial-in on with the demo's token, unless it is configured."""
    if settings.phone_enabled:
        return settings
    return replace(
        settings,
        phone_enabled=True,
        twilio_auth_token=DEMO_TWILIO_AUTH_TOKEN,
        phone_number=DEMO_PHONE_NUMBER,
    )


# Not an Argon2 hash, so no password matches it.
UNUSABLE_HASH = "!no-login"
VERIFIED, LAPSED, APPLICANTS = 36, 1, 2


async def seed_on_startup(app: web.Application) -> None:
    """`flourish serve --demo`: seed once, then print the logins. aiohttp runs `cleanup_ctx`
    (which sets SERVICES) as the first startup hook, so this, appended later, runs after it."""
    services = app[SERVICES]
    first_start = await seed(services)
    if not first_start:
        await refresh_open(services)
    await add_conversations(services, CLIENT_EMAIL, COACH_EMAIL, first_start=first_start)
    print(logins_banner(), flush=True)
    print(await feed_banner(services), flush=True)
    print(await phone_banner(services), flush=True)


async def phone_banner(services: Services) -> str:
    """The demo client's PIN for the live phone session, how to call it in, and its coach's
    login (that coach is given the demo password, so a person can take the call)."""
    client_id = await _user_id(services, CLIENT_EMAIL)
    if client_id is None or not services.scheduling.phone_pins.number:
        return ""
    async with services.db.session() as session:
        found = (
            await session.execute(
                select(Booking.id, User.id.label("coach_user"), User.email)
                .join(Coach, Coach.id == Booking.coach_id)
                .join(User, User.id == Coach.user_id)
                .where(
                    Booking.client_id == client_id,
                    Booking.session_type == "phone",
                    Booking.status == "confirmed",
                    Booking.ends_at > services.clock.now(),
                )
                .order_by(Booking.starts_at)
                .limit(1)
            )
        ).first()
        if found is None:
            return ""
        demo_hash = await session.scalar(
            select(User.password_hash).where(User.email == COACH_EMAIL)
        )
        coach = await session.get(User, found.coach_user)
        if coach is not None and demo_hash is not None:
            coach.password_hash = demo_hash
    pin = await services.scheduling.phone_pins.of(Party(client_id), found.id)
    return (
        f"  The demo client's live phone session: its coach logs in as {found.email}\n"
        f"  (password {DEMO_PASSWORD}); call it in as the client with\n"
        f"    .venv/bin/flourish dial-in {pin} --record heard.wav\n"
        f"  (a stand-in for Twilio's side of the call: docs/phone.md)."
    )


async def feed_banner(services: Services) -> str:
    """A fresh calendar feed URL for the demo coach (issued on every start: only its hash is
    stored, so the URL of an earlier start cannot be shown again)."""
    coach_user = await _user_id(services, COACH_EMAIL)
    if coach_user is None:
        return ""
    view = await services.scheduling.subscriptions.issue(coach_user, address=None)
    return f"  The demo coach's calendar feed (subscribe from a calendar app): {view.url}"


async def _user_id(services: Services, email: str) -> uuid.UUID | None:
    async with services.db.session() as session:
        found: uuid.UUID | None = await session.scalar(select(User.id).where(User.email == email))
    return found


# Public registers the demo's admin has named (docs/coaches.md): the demo credentials of these
# kinds show where to check them; the others show the form to add one.
REGISTERS = (
    ("GB", "BACP Accredited Counsellor", "BACP Register", "https://www.bacp.co.uk/search/Register"),
    (
        "GB",
        "UKCP Registered Psychotherapist",
        "UKCP register",
        "https://www.psychotherapy.org.uk/find-a-therapist/",
    ),
    (
        "AU",
        "Registered Psychologist (AHPRA)",
        "Ahpra register of practitioners",
        "https://www.ahpra.gov.au/Registration/Registers-of-Practitioners.aspx",
    ),
    *(
        ("US", kind, "ICF credentialed coach finder", "https://coachingfederation.org/")
        for kind in ICF
    ),
)


def _registers(now: datetime) -> list[dict[str, object]]:
    return [
        {
            "id": uuid.uuid4(),
            "issuing_country": country,
            "issuing_region": "",
            "license_type": type_key(kind),
            "name": name,
            "url": url,
            "updated_at": now,
        }
        for country, kind, name, url in REGISTERS
    ]


def _check_ins_and_long_sessions(
    offerings: tuple[tuple[str, int, tuple[int, ...]], ...],
) -> tuple[tuple[str, int, tuple[int, ...]], ...]:
    """The offerings with video sold as 20-minute check-ins and 90-minute sessions."""
    others = tuple(o for o in offerings if o[0] != "video")
    rate = next((r for kind, r, _ in offerings if kind == "video"), 12_000)
    return (("video", rate, (20, 90)), *others)


async def refresh_open(services: Services) -> None:
    """On a start after the first: the live sessions again, unless they are still open."""
    await live.refresh_open_sessions(services.db, CLIENT_EMAIL, COACH_EMAIL, services.clock.now())
    await demo_resources.share_into_live(services, CLIENT_EMAIL, COACH_EMAIL)


def logins_banner() -> str:
    rule = "=" * 72
    lines = [f"  {role.value:<7} {email:<30} password: {DEMO_PASSWORD}" for role, email in LOGINS]
    emails = (
        "  No email leaves the demo: each email's links (confirm a new account's address,",
        "  reset a password, ...) appear in this log as 'email ... its links: ...'.",
    )
    return "\n".join((rule, "  Flourish demo logins", *lines, "", *emails, rule))


async def seed(services: Services) -> bool:
    """Seed the demo directory; False, writing nothing, when it is already there."""
    async with services.db.session() as session:
        admin = select(func.count()).select_from(User).where(User.email == ADMIN_EMAIL)
        if await session.scalar(admin):
            return False
        rows = demo_rows(services.clock.now(), await services.passwords.hash(DEMO_PASSWORD))
        for model in TABLES:
            if rows[model]:
                await session.execute(insert(model), rows[model])
        now = services.clock.now()
        await session.execute(insert(LicenseRegister), _registers(now))
        taken = await live.add_open_sessions(session, CLIENT_EMAIL, COACH_EMAIL, now)
        await _demo_sessions(session, now, taken)
    await demo_resources.seed_library(services, COACH_EMAIL)
    await demo_resources.share_into_live(services, CLIENT_EMAIL, COACH_EMAIL)
    await import_personal_calendar(services, COACH_EMAIL)
    return True


async def _demo_sessions(session: AsyncSession, now: datetime, taken: list[Interval]) -> None:
    """The demo client's sessions with the demo coach: two confirmed ones on the coach's next
    free video slots (outside the `taken` live session), and a completed and a canceled one in
    the past."""
    client_id = await session.scalar(select(User.id).where(User.email == CLIENT_EMAIL))
    coach = await session.scalar(
        select(Coach).join(User, User.id == Coach.user_id).where(User.email == COACH_EMAIL)
    )
    offering = None if coach is None else await session.get(CoachOffering, (coach.id, "video"))
    if client_id is None or coach is None or offering is None:
        return
    duration = min(offering.durations)
    window = Interval(now, now + timedelta(days=21))
    conn = await session.connection()
    schedule, _ = await calendar_near(conn, coach.id, ZoneInfo(coach.time_zone), window, now)
    free = slots.free_slots(schedule, window, duration, now=now, busy=taken)
    upcoming = [free[0], free[len(free) // 2]] if free else []
    hour = now.replace(minute=0, second=0, microsecond=0)
    past = [
        (hour - timedelta(days=14, hours=3), "completed"),
        (hour - timedelta(days=7, hours=1), "canceled_by_client"),
    ]
    plan = [(s.start, "confirmed") for s in upcoming] + past
    price = session_price(Money(offering.rate_minor, coach.currency), duration)
    added: list[Booking] = []
    for start, status in plan:
        end = start + timedelta(minutes=duration)
        guard = slots.blocked(start, end, schedule)
        added.append(
            Booking(
                coach_id=coach.id,
                client_id=client_id,
                session_type="video",
                duration=duration,
                starts_at=start,
                ends_at=end,
                blocked_from=guard.start,
                blocked_to=guard.end,
                status=status,
                price_minor=price.minor,
                currency=price.currency,
                commission_bps=coach.commission_bps,
                confirmed_at=start - timedelta(days=3),
                canceled_at=start - timedelta(hours=30) if status.startswith("canceled") else None,
                created_at=start - timedelta(days=3),
                updated_at=min(now, end),
            )
        )
    session.add_all(added)
    await session.flush()
    await _reminders(session, [b for b in added if b.status == "confirmed"], client_id, now)
    others = await session.scalars(
        select(User.id).where(User.email.like("reviewer%@demo.flourish.example")).limit(4)
    )
    await seed_money(session, coach, schedule, list(others), price, duration, now)


async def _reminders(
    session: AsyncSession, upcoming: list[Booking], client_id: uuid.UUID, now: datetime
) -> None:
    """The upcoming sessions' reminders, as confirming them wrote them, and the client's
    notification of the next one (as its reminder would have told it), unread."""
    for booking in upcoming:
        await reminders.follow(session, booking, now)
    if upcoming:
        client_zone = await session.scalar(select(User.time_zone).where(User.id == client_id))
        first = min(upcoming, key=lambda b: b.starts_at)
        notifications.add(
            session,
            client_id,
            kind=reminders.KIND,
            text=reminders.reminder_text(first.starts_at, client_zone or "UTC"),
            booking_id=first.id,
            at=now - timedelta(minutes=5),
        )


def demo_rows(now: datetime, password_hash: str) -> Rows:
    """Every row of the demo; `password_hash` is the three logins' (hashed once)."""
    rng = random.Random(2026)
    rows: Rows = {model: [] for model in TABLES}
    admin_id, client_id = uuid.uuid4(), uuid.uuid4()
    long_ago = now - timedelta(days=800)
    rows[User] += [
        user_row(admin_id, ADMIN_EMAIL, password_hash, Role.ADMIN, "Demo Admin", long_ago),
        user_row(client_id, CLIENT_EMAIL, password_hash, Role.CLIENT, "Demo Client", long_ago),
    ]
    reviewers = [uuid.uuid4() for _ in texts.REVIEWERS]
    rows[User] += [
        user_row(
            uid, f"reviewer{n}@demo.flourish.example", UNUSABLE_HASH, Role.CLIENT, name, long_ago
        )
        for n, (uid, name) in enumerate(zip(reviewers, texts.REVIEWERS, strict=True), 1)
    ]
    taken: set[str] = set()
    for n in range(VERIFIED + LAPSED + APPLICANTS):
        draft = draft_coach(rng, taken)
        if n == 0:  # the demo coach: 20-minute check-ins and 90-minute sessions
            email, hash_ = COACH_EMAIL, password_hash
            draft = replace(draft, offerings=_check_ins_and_long_sessions(draft.offerings))
        else:
            email, hash_ = f"coach{n:02d}@demo.flourish.example", UNUSABLE_HASH
        if n >= VERIFIED + LAPSED:
            draft = replace(draft, ratings=(), badges=())
            added = add_coach(rows, draft, now, email=email, password_hash=hash_, status="pending")
        else:
            reverify_days = -12 if n == VERIFIED else rng.randint(20, 360)
            added = add_coach(
                rows,
                draft,
                now,
                email=email,
                password_hash=hash_,
                reverify_in=timedelta(days=reverify_days),
                admin_id=admin_id,
            )
        _application_trail(rows, rng, added, admin_id)
        _reviews(rows, rng, added.coach_id, draft.ratings, reviewers, now)
        if n == 0:  # the demo coach lets clients join video sessions by telephone too
            for offering in rows[CoachOffering]:
                if offering["coach_id"] == added.coach_id and offering["session_type"] == "video":
                    offering["dial_in"] = True
    return rows


def _reviews(
    rows: Rows,
    rng: random.Random,
    coach_id: uuid.UUID,
    ratings: tuple[int, ...],
    reviewers: list[uuid.UUID],
    now: datetime,
) -> None:
    for rating in ratings:
        reviewer = rng.randrange(len(reviewers))
        anonymous = rng.random() < 0.6
        written = now - timedelta(days=rng.randint(3, 300), minutes=rng.randint(0, 1439))
        responded = rng.random() < 0.15
        rows[Review].append(
            {
                "id": uuid.uuid4(),
                "coach_id": coach_id,
                "client_id": reviewers[reviewer],
                "booking_id": None,
                "rating": rating,
                "text": rng.choice(texts.REVIEWS[rating]),
                "anonymous": anonymous,
                "author_name": None if anonymous else public_name(texts.REVIEWERS[reviewer]),
                "coach_response": rng.choice(texts.RESPONSES) if responded else None,
                "responded_at": written + timedelta(days=1) if responded else None,
                "created_at": written,
            }
        )


def _application_trail(rows: Rows, rng: random.Random, added: Added, admin_id: uuid.UUID) -> None:
    """The references given with the coach's application and its recorded steps."""
    rows[ProfessionalReference] += [
        {
            "id": uuid.uuid4(),
            "application_id": added.application_id,
            "name": name,
            "email": f"{name.split()[-1].lower()}@referees.flourish.example",
            "relationship": rng.choice(texts.REFEREE_RELATIONSHIPS),
            "phone": None,
        }
        for name in rng.sample(texts.REFEREES, 2)
    ]
    steps: list[tuple[datetime, uuid.UUID, str, str | None]] = [
        (added.submitted, added.user_id, "submitted", None)
    ]
    if added.decided is not None:
        steps.append((added.decided, admin_id, "approved", "Credentials and references checked."))
    rows[ApplicationEvent] += [
        {
            "id": uuid.uuid4(),
            "coach_id": added.coach_id,
            "application_id": added.application_id,
            "at": at,
            "actor_id": actor,
            "action": action,
            "note": note,
        }
        for at, actor, action, note in steps
    ]
