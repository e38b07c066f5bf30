"""Sessions whose room is open now, written straight into the test server's SQLite database.

The booking flow cannot make one (slots need notice), so, like the demo seed, this writes a
confirmed booking starting about now between the demo client and a demo coach who is given
the demo password. Each call uses a coach of its own, so no two live bookings overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from booking.storage.bookings import Booking
from booking.storage.coaches import Coach
from realtime.auth.models import User
from realtime.demo import CLIENT_EMAIL, COACH_EMAIL
from tests.browser.conftest import OpenPage, log_in


@dataclass(frozen=True)
class OpenSession:
    booking_id: str
    coach_email: str
    coach_name: str


def demo_coach_login(server_dir: Path, coach_number: int) -> str:
    """Give demo coachNN the demo password (demo coaches but one cannot log in); their email."""
    engine = create_engine(f"sqlite:///{server_dir / 'var' / 'flourish.db'}")
    coach_email = f"coach{coach_number:02d}@demo.flourish.example"
    try:
        with Session(engine) as session, session.begin():
            demo_hash = session.scalar(select(User.password_hash).where(User.email == COACH_EMAIL))
            session.execute(
                update(User).where(User.email == coach_email).values(password_hash=demo_hash)
            )
    finally:
        engine.dispose()
    return coach_email


# Each test takes a coach of its own (coachNN), so that their open sessions never overlap:
# test_room 1-3, test_chat 4-5, test_countdown 6, test_resources 7, test_reschedule 8,
# test_phone_call 9, test_schedule 10. The demo's own live sessions are with the demo coach
# (video), coach22 (chat) and coach15 (phone): no test takes those.
def open_session(
    server_dir: Path,
    session_type: str,
    coach_number: int,
    ends_in: timedelta = timedelta(minutes=29),
    starts_in: timedelta = timedelta(minutes=-1),
) -> OpenSession:
    """A confirmed `session_type` booking with coachNN whose room is open: by default it began
    a minute ago and ends `ends_in` from now (30 minutes in all); a positive `starts_in` is one
    about to start (still cancelable)."""
    engine = create_engine(f"sqlite:///{server_dir / 'var' / 'flourish.db'}")
    coach_email = demo_coach_login(server_dir, coach_number)
    now = datetime.now(UTC).replace(microsecond=0)  # noqa: TID251 (the server runs on real time)
    try:
        with Session(engine) as session, session.begin():
            client_id = session.scalar(select(User.id).where(User.email == CLIENT_EMAIL))
            coach = session.scalars(
                select(Coach).join(User, User.id == Coach.user_id).where(User.email == coach_email)
            ).one()
            start, end = now + starts_in, now + ends_in
            assert client_id is not None
            booking = Booking(
                coach_id=coach.id,
                client_id=client_id,
                session_type=session_type,
                duration=int((end - start).total_seconds() // 60),
                starts_at=start,
                ends_at=end,
                blocked_from=start,
                blocked_to=end,
                status="confirmed",
                price_minor=5000,
                currency=coach.currency,
                commission_bps=coach.commission_bps,
                confirmed_at=now - timedelta(days=1),
                created_at=now - timedelta(days=1),
                updated_at=now - timedelta(days=1),
            )
            session.add(booking)
            session.flush()
            return OpenSession(str(booking.id), coach_email, coach.display_name)
    finally:
        engine.dispose()


def coach_logged_in(
    open_page: OpenPage, server_dir: Path, session_type: str, coach_number: int
) -> tuple[OpenSession, Page]:
    """An open session (above) and a desktop page where its coach is logged in."""
    session = open_session(server_dir, session_type, coach_number)
    coach = open_page("coach")
    log_in(coach, session.coach_email, then="/coach")
    return session, coach
