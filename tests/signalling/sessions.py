"""A confirmed session between a coach and a client, booked through the HTTP API, and peers
connected to `/session` for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.api.test_holds import WEEKDAYS
from tests.booking.api.test_payment import booked, held
from tests.booking.support import Caller, Client, listed_coach, make_user
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.support.clock import FakeClock

# Tuesday 09:00 in New York, where the coach works weekdays 09:00-17:00; the clock starts on the
# Monday before.
START = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
LATER = START + timedelta(hours=2)


@dataclass(frozen=True)
class Booked:
    coach: Caller
    member: Caller
    booking_id: str
    coach_id: str


def token(caller: Caller) -> str:
    return caller.headers["Authorization"].removeprefix("Bearer ")


async def book(client: Client, services: Services, start: datetime = START) -> Booked:
    """A listed coach and a client with a confirmed 50-minute video session at `start`."""
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    coach, coach_id = await listed_coach(client, services, admin, weekly_hours=WEEKDAYS)
    member = await make_user(services, Role.CLIENT, "Cleo Client")
    booking = await booked(client, member, coach_id, start)
    return Booked(coach, member, str(booking["id"]), coach_id)


async def hold_only(client: Client, booked_: Booked, start: datetime) -> str:
    """A held (unpaid) booking of the same client with the same coach."""
    return str((await held(client, booked_.member, booked_.coach_id, start))["id"])


def open_window(clock: FakeClock, start: datetime = START) -> None:
    """Move the clock to five minutes before `start`: the room is open."""
    clock.set(start - timedelta(minutes=5))


async def in_a_call(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> tuple[Booked, Peer, Peer]:
    """A confirmed session's open room with its client and then its coach in it."""
    booked = await book(client, services)
    open_window(clock)
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    await member.next("peer-joined")
    return booked, member, coach
