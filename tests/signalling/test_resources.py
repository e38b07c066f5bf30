"""`resource:shared` on `/session`: the room hears of a link or a file the coach shares over
HTTP during the call; nobody outside the room does."""

from __future__ import annotations

import io

import aiohttp

from realtime.wiring import Services
from tests.booking.support import Client
from tests.signalling.conftest import Joiner
from tests.signalling.sessions import in_a_call
from tests.support import files
from tests.support.clock import FakeClock


async def test_the_room_hears_of_a_shared_link_and_file(
    client: Client, services: Services, clock: FakeClock, peers: Joiner
) -> None:
    booked, member, coach = await in_a_call(client, services, clock, peers)
    url = f"/api/bookings/{booked.booking_id}/resources"
    link = await client.post(
        url,
        json={"title": "Breathing exercise", "url": "https://example.org/breathe"},
        headers=booked.coach.headers,
    )
    assert link.status == 201, await link.text()
    told = await member.next("resource:shared")
    assert told == {
        "id": (await link.json())["id"],
        "kind": "link",
        "title": "Breathing exercise",
        "url": "https://example.org/breathe",
        "file_name": None,
        "content_type": None,
        "size": None,
        "created_at": "2026-03-10T12:55:00Z",
    }
    assert (await coach.next("resource:shared"))["id"] == told["id"]

    form = aiohttp.FormData()
    form.add_field("title", "Values worksheet")
    form.add_field("file", io.BytesIO(files.PDF), filename="values.pdf")
    shared = await client.post(url, data=form, headers=booked.coach.headers)
    assert shared.status == 201, await shared.text()
    told = await member.next("resource:shared")
    assert told["kind"] == "file"
    assert told["file_name"] == "values.pdf"
    assert told["content_type"] == "application/pdf"
    assert told["size"] == len(files.PDF)
    assert "download_url" not in told  # each participant's own, from the listing
