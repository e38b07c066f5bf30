"""The shared note, live: when the coach saves a new version, the room hears `note:shared`
(its version, never its text, which stays behind the audited read); a private note says
nothing to anyone."""

from __future__ import annotations

from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import in_a_call
from tests.support.clock import FakeClock


async def test_the_room_hears_of_a_new_shared_note_but_not_of_a_private_one(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    path = f"/api/bookings/{booked.booking_id}/notes"
    private = await client.post(
        path, json={"audience": "private", "text": "Seems tired."}, headers=booked.coach.headers
    )
    assert private.status == 201, await private.text()
    shared = await client.post(
        path,
        json={"audience": "shared", "text": "Homework: three kind words a day."},
        headers=booked.coach.headers,
    )
    assert shared.status == 201, await shared.text()
    told = await member.next("note:shared")
    assert told == {
        "booking_id": booked.booking_id,
        "version": 1,
        "created_at": told["created_at"],
    }
    assert "Homework" not in str(told)
    assert (await coach.next("note:shared"))["version"] == 1  # the coach's other tabs too
    assert member.pending("note:shared") == []  # nothing of the private note
    read = await client.get(path, headers=booked.member.headers)
    assert (await read.json())["shared"]["latest"]["text"] == "Homework: three kind words a day."
