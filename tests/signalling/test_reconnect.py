"""`/session`: a participant who drops keeps their place for the grace period; a crashed node's
peers leave the room within it."""

from __future__ import annotations

import asyncio

from realtime.wiring import Services
from signalling.presence import Member
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.peers import Peer
from tests.signalling.sessions import Booked, book, in_a_call, open_window
from tests.signalling.viewers import WAIT
from tests.support.clock import FakeClock

CANDIDATE = {"candidate": "candidate:1 1 UDP 1 192.0.2.7 5 typ host", "sdpMid": "0"}


async def place(services: Services, booked: Booked, who: str) -> Member | None:
    assert services.signalling is not None
    members = await services.signalling.presence.members(booked.booking_id)
    user = booked.member.user_id if who == "client" else booked.coach.user_id
    return members.get(str(user))


async def until_away(services: Services, booked: Booked) -> None:
    """Until the server has seen the client's socket go (its place is marked away)."""

    async def away() -> None:
        while (member := await place(services, booked, "client")) is None or member.sid:  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(away(), WAIT)


async def quiet(peer: Peer, other: Peer) -> None:
    """Let everything sent to `peer` so far arrive: a signal from `other` comes after it."""
    await other.send("signal", {"to": peer.peer_id, "candidate": CANDIDATE})
    await peer.next("signal")


async def test_a_client_who_returns_within_the_grace_period_takes_back_their_place(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    await member.close()
    await until_away(services, booked)
    clock.advance(services.settings.reconnect_grace - 1)

    back = await peers(booked.member)
    ack = await back.join(booked.booking_id)
    assert back.peer_id == member.peer_id
    assert [p["role"] for p in ack["peers"]] == ["coach"]
    assert await coach.next("peer-reconnected") == {
        "peer_id": member.peer_id,
        "role": "client",
        "display_name": "Cleo Client",
        "via": "web",
    }
    clock.advance(services.settings.reconnect_grace)  # the old grace period ends: nothing
    await coach.send("signal", {"to": back.peer_id, "candidate": CANDIDATE})
    assert (await back.next("signal"))["from"] == coach.peer_id
    await quiet(coach, back)
    assert coach.pending("peer-left") == []


async def test_the_other_side_is_told_when_the_grace_period_ends(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    await member.close()
    await until_away(services, booked)
    clock.advance(services.settings.reconnect_grace)
    assert await coach.next("peer-left") == {"peer_id": member.peer_id, "reason": "timeout"}
    assert await place(services, booked, "client") is None

    later = await peers(booked.member)
    await later.join(booked.booking_id)
    assert later.peer_id != member.peer_id
    assert (await coach.next("peer-joined"))["peer_id"] == later.peer_id


async def test_a_new_socket_takes_over_from_an_old_one_still_connected(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    second = await peers(booked.member)
    await second.join(booked.booking_id)
    assert second.peer_id == member.peer_id
    assert (await member.next("error"))["code"] == "taken_over"
    await asyncio.wait_for(member.gone.wait(), WAIT)
    assert (await coach.next("peer-reconnected"))["peer_id"] == second.peer_id
    current = await place(services, booked, "client")
    assert current is not None
    assert current.sid == second.sio.get_sid("/session")

    clock.advance(services.settings.reconnect_grace)
    await quiet(coach, second)
    assert coach.pending("peer-left") == []


async def test_leave_ends_presence_at_once(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    _, member, coach = await in_a_call(client, services, clock, peers)
    assert await member.call("leave", {}) == {"ok": True}
    assert await coach.next("peer-left") == {"peer_id": member.peer_id, "reason": "left"}
    assert (await member.call("leave", {}))["error"]["code"] == "not_joined"
    ack = await coach.call("signal", {"to": member.peer_id, "candidate": CANDIDATE})
    assert ack == {"ok": True}  # the place is empty: nobody receives it
    assert member.pending("signal") == []


async def test_peers_of_a_crashed_node_leave_within_the_grace_period(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    """A coach held by a node that stops beating (as a crashed process does) is removed by the
    node of the client, which tells the client."""
    assert services.signalling is not None
    presence = services.signalling.presence
    booked = await book(client, services)
    open_window(clock)
    member = await peers(booked.member)
    await member.join(booked.booking_id)
    now = clock.now().timestamp()
    await presence.beat("crashed-node", now)
    coach = Member(
        str(booked.coach.user_id), "coach-peer", "coach", "Dr Ann Lee", "sid-x", "crashed-node"
    )
    await presence.swap(booked.booking_id, coach, 3600)
    await member.send("signal", {"to": "coach-peer", "candidate": CANDIDATE})

    clock.advance(services.settings.reconnect_grace / 2)
    await asyncio.sleep(0.05)
    assert member.pending("peer-left") == []
    clock.advance(services.settings.reconnect_grace / 2)
    assert await member.next("peer-left") == {"peer_id": "coach-peer", "reason": "timeout"}
    assert await place(services, booked, "coach") is None
    assert await place(services, booked, "client") is not None


async def test_a_coach_is_online_while_a_session_socket_is_open_on_profile_and_card(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked = await book(client, services)

    async def online() -> bool:
        """What the profile says, checked against the coach's card in the directory."""
        response = await client.get(f"/api/coaches/{booked.coach_id}")
        assert response.status == 200, await response.text()
        shown: bool = (await response.json())["online"]
        listed = await (await client.get("/api/coaches?limit=50")).json()
        (card,) = [c for c in listed["items"] if c["id"] == str(booked.coach_id)]
        assert card["online"] == shown
        return shown

    assert not await online()
    first, second = await peers(booked.coach), await peers(booked.coach)
    assert await online()
    await first.close()
    await second.call("leave", {})  # a round trip: the first socket's close is handled by now
    assert await online()
    await second.close()

    async def offline() -> None:
        while await online():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(offline(), WAIT)
