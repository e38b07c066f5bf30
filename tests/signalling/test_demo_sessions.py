"""`flourish serve --demo`: the demo client and the demo coach can start a video call at once,
and the client's chat session's room is open too."""

from __future__ import annotations

from typing import Any

from realtime.demo import CLIENT_EMAIL, COACH_EMAIL, DEMO_PASSWORD, refresh_open, seed
from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.peers import Peer


async def login(client: Client, email: str) -> str:
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": DEMO_PASSWORD}
    )
    assert response.status == 200, await response.text()
    token: str = (await response.json())["tokens"]["access_token"]
    return token


async def upcoming(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/bookings", params={"when": "upcoming"}, headers=headers)
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def connected(app_url: str, token: str, made: list[Peer]) -> Peer:
    peer = Peer()
    made.append(peer)
    await peer.connect(app_url, {"token": token})
    return peer


async def test_demo_sessions_are_open_when_the_server_starts(
    client: Client, services: Services, app_url: str
) -> None:
    await seed(services)
    member_token, coach_token = await login(client, CLIENT_EMAIL), await login(client, COACH_EMAIL)
    headers = {"Authorization": f"Bearer {member_token}"}
    listing = await (
        await client.get("/api/bookings", params={"when": "upcoming"}, headers=headers)
    ).json()
    video, chat = listing["items"][:2]
    assert (video["session_type"], chat["session_type"]) == ("video", "chat")

    made: list[Peer] = []
    try:
        member = await connected(app_url, member_token, made)
        coach = await connected(app_url, coach_token, made)
        await member.join(video["id"])
        ack = await coach.join(video["id"])
        assert [p["display_name"] for p in ack["peers"]] == ["Demo Client"]
        # The room's countdown runs on the server's clock to this booking's end.
        timer = ack["timer"]
        assert (timer["ends_at"], timer["warnings"]) == (ack["ends_at"], [300, 60])
        assert timer["server_time"] < timer["ends_at"] < timer["closes_at"]
        chatting = await connected(app_url, member_token, made)
        assert (await chatting.join(chat["id"]))["session_type"] == "chat"
    finally:
        for peer in made:
            await peer.close()

    await refresh_open(services)  # a restart while they are open adds nothing
    again = await (
        await client.get("/api/bookings", params={"when": "upcoming"}, headers=headers)
    ).json()
    assert len(again["items"]) == len(listing["items"])
