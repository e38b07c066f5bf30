"""Socket rights on one server: the caller is checked again at every `join`; a logout, a logout
everywhere or a disabled account closes that login's sockets; a canceled or rescheduled
booking empties its room. (Across two processes: test_rights_nodes.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import socketio
from aiohttp import web
from sqlalchemy import update

from booking.services.sessions import Admission, Closed, Sessions
from realtime.auth.models import AuthSession, Role, User
from realtime.auth.tokens import TokenCodec
from realtime.wiring import Services
from signalling import server as signalling_server
from signalling.limits import SocketLimits
from signalling.presence import MemoryPresence
from signalling.session import SessionSignalling
from tests.booking.support import Caller, Client, another_login, make_user
from tests.conftest import AiohttpClient
from tests.realtime.auth.flows import refresh, register
from tests.signalling.conftest import Connect, Joiner
from tests.signalling.peers import Peer
from tests.signalling.sessions import START, Booked, book, open_window, token
from tests.signalling.test_session import CANDIDATE, refusal
from tests.signalling.viewers import WAIT, Viewer
from tests.support.clock import FakeClock


async def disconnected(peer: Peer | Viewer) -> None:
    """Until the server has closed the socket."""

    async def closed() -> None:
        while peer.sio.connected:  # noqa: ASYNC110  # the client's own state, no event
            await asyncio.sleep(0.02)

    await asyncio.wait_for(closed(), WAIT)


async def in_the_room(booked: Booked, peers: Joiner) -> tuple[Peer, Peer]:
    """The client and the coach, both joined."""
    member, coach = await peers(booked.member), await peers(booked.coach)
    await member.join(booked.booking_id)
    await coach.join(booked.booking_id)
    assert (await member.next("peer-joined"))["peer_id"] == coach.peer_id
    return member, coach


async def test_a_token_scoped_to_two_factor_setup_opens_no_socket(
    services: Services, app_url: str
) -> None:
    coach = await make_user(services, Role.COACH, "Dr Ann Lee")
    setup, _ = services.tokens.issue(
        coach.user_id, "coach", session_id=coach.session_id, version=0, scope="two_factor_setup"
    )
    assert await refusal(app_url, {"token": setup}) == "two_factor_setup_required"
    viewer = Viewer()
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await viewer.connect(app_url, {"token": setup})
    finally:
        await viewer.close()
    assert [r["data"]["code"] for r in viewer.refusals] == ["two_factor_setup_required"]


async def test_join_checks_the_caller_again(
    client: Client, services: Services, clock: FakeClock, peers: Joiner, app_url: str
) -> None:
    booked = await book(client, services)
    open_window(clock)
    revoked, disabled = await peers(booked.member), await peers(booked.coach)
    # A token that lives two seconds (the join timeout is longer).
    brief, _ = TokenCodec(services.settings.secret_key, clock, ttl=2).issue(
        booked.member.user_id, "client", booked.member.session_id, version=0, scope="full"
    )
    expired = Peer()
    await expired.connect(app_url, {"token": brief})
    async with services.db.session() as session:
        # As another process or an admin tool would, without telling this one.
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == booked.member.session_id)
            .values(revoked_at=clock.now())
        )
        await session.execute(
            update(User).where(User.id == booked.coach.user_id).values(disabled_at=clock.now())
        )

    async def refused(peer: Peer) -> str:
        ack = await peer.call("join", {"booking_id": booked.booking_id})
        assert ack["ok"] is False, ack
        code: str = ack["error"]["code"]
        return code

    assert await refused(revoked) == "token_invalid"
    assert await refused(disabled) == "account_disabled"
    async with services.db.session() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == booked.member.session_id)
            .values(revoked_at=None)
        )
    try:
        clock.advance(3)
        assert await refused(expired) == "token_expired"
    finally:
        await expired.close()
    fresh = await peers(booked.member)
    assert (await fresh.join(booked.booking_id))["role"] == "client"


async def test_logout_everywhere_disconnects_every_socket_of_the_account(
    client: Client, services: Services, clock: FakeClock, peers: Joiner, viewers: Connect
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await in_the_room(booked, peers)
    other_device = await peers(await another_login(booked.member))
    watching = await viewers({"token": token(booked.member)})
    anonymous = await viewers()

    response = await client.post("/api/auth/logout-all", headers=booked.member.headers)
    assert response.status == 204

    for gone in (member, other_device, watching):
        await disconnected(gone)
    told = await member.next("error")
    assert (told["code"], told["event"]) == ("token_invalid", None)
    assert coach.sio.connected
    assert anonymous.sio.connected


async def test_logout_disconnects_only_the_sockets_of_that_login(
    client: Client, services: Services, clock: FakeClock, peers: Joiner, viewers: Connect
) -> None:
    booked = await book(client, services)
    open_window(clock)
    phone = await another_login(booked.member)
    on_laptop, on_phone = await peers(booked.member), await peers(phone)
    laptop_viewer = await viewers({"token": token(booked.member)})

    response = await client.post("/api/auth/logout", headers=booked.member.headers)
    assert response.status == 204

    await disconnected(on_laptop)
    await disconnected(laptop_viewer)
    assert (await on_laptop.next("error"))["code"] == "token_invalid"
    assert on_phone.sio.connected
    assert (await on_phone.join(booked.booking_id))["role"] == "client"


async def test_a_password_change_disconnects_the_sockets_of_the_other_logins(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    password = "tulip harbour lantern 1987"
    hashed = await services.passwords.hash(password)
    async with services.db.session() as session:
        await session.execute(
            update(User).where(User.id == booked.member.user_id).values(password_hash=hashed)
        )
    phone = await another_login(booked.member)
    on_laptop, on_phone = await peers(booked.member), await peers(phone)

    response = await client.post(
        "/api/auth/password/change",
        headers=booked.member.headers,
        json={"current_password": password, "new_password": "quiet otter velvet 2031 summit"},
    )
    assert response.status == 204

    await disconnected(on_phone)
    assert (await on_phone.next("error"))["code"] == "token_invalid"
    assert on_laptop.sio.connected  # the login that changed it goes on
    assert (await on_laptop.join(booked.booking_id))["role"] == "client"


async def test_disabling_an_account_disconnects_its_sockets(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    member = await peers(booked.member)

    path = f"/api/admin/users/{booked.member.user_id}/disable"
    response = await client.post(path, headers=admin.headers)
    assert response.status == 204, await response.text()

    await disconnected(member)
    assert (await member.next("error"))["code"] == "account_disabled"
    # Every token the account held is void, so a new socket is refused.
    assert await refusal(str(client.make_url("/")), {"token": token(booked.member)}) == (
        "token_invalid"
    )


async def test_a_cancel_puts_both_out_of_the_room_and_nobody_rejoins(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await in_the_room(booked, peers)

    canceled = await client.post(
        f"/api/bookings/{booked.booking_id}/cancel",
        json={"reason": "Something came up"},
        headers=booked.member.headers,
    )
    assert canceled.status == 200, await canceled.text()

    closed = {"booking_id": booked.booking_id, "reason": "canceled"}
    assert await member.next("session:closed") == closed
    assert await coach.next("session:closed") == closed
    # The coach's signals no longer reach the client.
    ack = await coach.call("signal", {"to": member.peer_id, "candidate": CANDIDATE})
    assert ack["error"]["code"] == "not_joined"
    assert member.pending("signal") == []
    again = await coach.call("join", {"booking_id": booked.booking_id})
    assert again["error"]["code"] == "booking_not_confirmed"
    assert member.sio.connected
    assert coach.sio.connected


async def test_a_reschedule_puts_both_out_until_the_new_window_opens(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)
    open_window(clock)
    member, coach = await in_the_room(booked, peers)
    later = START + timedelta(days=1)

    moved = await client.post(
        f"/api/bookings/{booked.booking_id}/reschedule",
        json={"start": later.isoformat(), "coach_consent": True},
        headers=booked.coach.headers,
    )
    assert moved.status == 200, await moved.text()

    closed = {"booking_id": booked.booking_id, "reason": "rescheduled"}
    assert await member.next("session:closed") == closed
    assert await coach.next("session:closed") == closed
    ack = await member.call("signal", {"to": coach.peer_id, "candidate": CANDIDATE})
    assert ack["error"]["code"] == "not_joined"
    early = await member.call("join", {"booking_id": booked.booking_id})
    assert early["error"]["code"] == "session_not_open"

    open_window(clock, later)
    again = await peers(booked.member)
    assert (await again.join(booked.booking_id))["starts_at"] == "2026-03-11T13:00:00Z"


async def test_admins_disable_and_enable_accounts_and_nobody_else_does(
    client: Client, services: Services
) -> None:
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    member = await make_user(services, Role.CLIENT, "Cleo Client")

    async def post(path: str, caller: Caller) -> tuple[int, str]:
        response = await client.post(path, headers=caller.headers)
        if response.status == 204:
            return 204, ""
        assert response.content_type == "application/problem+json"
        return response.status, (await response.json())["code"]

    users = "/api/admin/users"
    assert await post(f"{users}/{admin.user_id}/disable", member) == (403, "forbidden")
    assert await post(f"{users}/{admin.user_id}/disable", admin) == (409, "cannot_disable_self")
    assert await post(f"{users}/{uuid.uuid4()}/disable", admin) == (404, "user_not_found")
    assert await post(f"{users}/{member.user_id}/disable", admin) == (204, "")
    assert await post(f"{users}/{member.user_id}/disable", admin) == (204, "")
    async with services.db.session() as session:
        user = await session.get(User, member.user_id)
        assert user is not None
        assert user.disabled_at is not None
        assert user.token_version == 2
    assert (await client.get("/api/me", headers=member.headers)).status == 401
    assert await post(f"{users}/{member.user_id}/enable", admin) == (204, "")
    async with services.db.session() as session:
        user = await session.get(User, member.user_id)
        assert user is not None
        assert user.disabled_at is None


async def test_a_reused_refresh_token_ends_the_sockets_of_its_login(
    client: Client, app_url: str
) -> None:
    registered = await register(client)
    first = registered["tokens"]
    socket = Peer()
    try:
        await socket.connect(app_url, {"token": first["access_token"]})
        status, _ = await refresh(client, first["refresh_token"])
        assert status == 200
        status, _ = await refresh(client, first["refresh_token"])  # a stolen copy
        assert status == 401
        await disconnected(socket)
        assert (await socket.next("error"))["code"] == "token_invalid"
    finally:
        await socket.close()


class HeldAdmission(Sessions):
    """The real admission, which then waits for the test to let it go: a booking change can
    land between admission's read and the seat being taken."""

    def __init__(self, real: Sessions) -> None:
        super().__init__(real.db, real.clock, join_early_minutes=int(real.early.seconds // 60))
        self.read, self.go = asyncio.Event(), asyncio.Event()

    async def admit(self, user_id: uuid.UUID, booking_id: uuid.UUID) -> Admission:
        admission = await super().admit(user_id, booking_id)
        self.read.set()
        await self.go.wait()
        return admission


async def test_a_join_under_way_when_the_room_closes_takes_no_seat(
    client: Client, services: Services, clock: FakeClock, aiohttp_client: AiohttpClient
) -> None:
    booked = await book(client, services)
    open_window(clock)
    # A server of its own: the app's namespace, with an admission the test holds.
    settings = dataclasses.replace(services.settings, redis_url="")
    sio = signalling_server.create_server(settings)
    held = HeldAdmission(services.scheduling.sessions)
    presence = MemoryPresence()
    limits = SocketLimits.of(settings, clock)
    signalling = SessionSignalling(
        sio, settings, clock, services.authenticator, held, presence, limits
    )
    signalling.register()
    app = web.Application()
    sio.attach(app)

    async def lifetime(_: web.Application) -> AsyncIterator[None]:
        async with signalling_server.running(sio), signalling.running():
            yield

    app.cleanup_ctx.append(lifetime)
    server = await aiohttp_client(app)
    peer = Peer()
    try:
        await peer.connect(str(server.make_url("/")), {"token": token(booked.member)})
        joining = asyncio.create_task(peer.call("join", {"booking_id": booked.booking_id}))
        await asyncio.wait_for(held.read.wait(), WAIT)
        # What SocketRights runs on this process once the cancel committed.
        await signalling.close_room(booked.booking_id, Closed.CANCELED)
        held.go.set()
        ack = await joining
        assert ack["error"]["code"] == "session_closed"
        assert signalling.local.seats == {}
        assert await presence.members(booked.booking_id) == {}
    finally:
        await peer.close()
