"""Reviews of sessions: only the client of a completed session writes one, once, anonymous by
default or under a first name and initial; the coach answers once; an admin hides an abusive
one with a reason (kept, audited); the rating, its spread and the directory's rating order
follow each change. Sessions are decided from attendance written on the fake clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from booking.policy.reviews import public_name
from booking.storage.bookings import Booking
from booking.storage.reviews import Review
from realtime.audit import AuditRow
from realtime.auth.models import Role
from realtime.wiring import Services
from tests.booking.support import Client, get_json, make_user, problem
from tests.signalling.sessions import START, Booked, book
from tests.support.clock import FakeClock

END = START + timedelta(minutes=50)


async def held_session(
    services: Services,
    clock: FakeClock,
    booked: Booked,
    *,
    client_came: bool = True,
    start: datetime = START,
) -> str:
    """Both in the room for the whole session (or the coach alone), then decided."""
    booking_id = uuid.UUID(booked.booking_id)
    attendance = services.scheduling.attendance
    end = start + (END - START)
    clock.set(start)
    stays = [await attendance.joined(booking_id, booked.coach.user_id, "coach")]
    if client_came:
        stays.append(await attendance.joined(booking_id, booked.member.user_id, "client"))
    clock.set(end)
    for stay in stays:
        await attendance.left(stay)
    clock.set(end + timedelta(minutes=3))
    await attendance.decide(booking_id)  # or the hard stop's sweep did, as the clock moved
    async with services.db.session() as session:
        status = await session.scalar(select(Booking.status).where(Booking.id == booking_id))
    assert status is not None
    return status


async def review(client: Client, booked: Booked, **body: Any) -> Any:
    return await client.post(
        f"/api/bookings/{booked.booking_id}/review",
        json={"rating": 5, **body},
        headers=booked.member.headers,
    )


async def test_the_client_of_a_completed_session_reviews_it_once_anonymously_by_default(
    client: Client, services: Services, clock: FakeClock
) -> None:
    booked = await book(client, services)
    early = await review(client, booked)  # before the session happened
    assert (await problem(early, 409))["code"] == "review_not_allowed"
    assert await held_session(services, clock, booked) == "completed"

    stranger = await make_user(services, Role.CLIENT, "Sam Stranger")
    theirs = await client.post(
        f"/api/bookings/{booked.booking_id}/review", json={"rating": 4}, headers=stranger.headers
    )
    assert (await problem(theirs, 404))["code"] == "booking_not_found"
    own = await client.post(
        f"/api/bookings/{booked.booking_id}/review",
        json={"rating": 5},
        headers=booked.coach.headers,
    )
    assert (await problem(own, 404))["code"] == "booking_not_found"
    for bad in (0, 6, "five"):
        refused = await review(client, booked, rating=bad)
        assert (await problem(refused, 422))["code"] == "validation_failed"
    too_long = await review(client, booked, text="x" * 2001)
    assert too_long.status == 422

    written = await review(client, booked, rating=4, text="  Kind and practical.  ")
    assert written.status == 201, await written.text()
    body = await written.json()
    assert body | {"id": None, "created_at": None} == {
        "id": None,
        "rating": 4,
        "text": "Kind and practical.",
        "anonymous": True,
        "client_name": None,
        "coach_response": None,
        "responded_at": None,
        "created_at": None,
    }
    second = await review(client, booked, rating=1)
    assert (await problem(second, 409))["code"] == "already_reviewed"

    profile = await get_json(client, f"/api/coaches/{booked.coach_id}")
    assert profile["rating"] == {
        "average": 4.0,
        "count": 1,
        "by_star": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
    }
    assert [r["id"] for r in profile["reviews"]] == [body["id"]]
    assert "Cleo" not in str(profile["reviews"])
    past = await get_json(client, "/api/bookings", booked.member, when="past")
    assert [(b["id"], b["reviewed"]) for b in past["items"]] == [(booked.booking_id, True)]


async def test_a_named_review_shows_a_first_name_and_initial_only(
    client: Client, services: Services, clock: FakeClock
) -> None:
    booked = await book(client, services)
    await held_session(services, clock, booked)
    written = await review(client, booked, anonymous=False, text="Helped us talk again.")
    assert written.status == 201, await written.text()
    assert (await written.json())["client_name"] == "Cleo C."
    page = await get_json(client, f"/api/coaches/{booked.coach_id}/reviews")
    assert [r["client_name"] for r in page["items"]] == ["Cleo C."]
    assert "Cleo Client" not in str(page)


def test_public_names_keep_a_first_name_and_an_initial() -> None:
    assert public_name("Maria Garcia Lopez") == "Maria L."
    assert public_name("  jo   ") == "jo"
    assert public_name("Ana de la Cruz") == "Ana C."
    assert public_name("Émile zola") == "Émile Z."
    assert public_name("123 !!") == "A client"
    assert public_name("") == "A client"


async def test_a_no_show_is_not_reviewed(
    client: Client, services: Services, clock: FakeClock
) -> None:
    booked = await book(client, services)
    assert await held_session(services, clock, booked, client_came=False) == "no_show_client"
    refused = await review(client, booked)
    assert (await problem(refused, 409))["code"] == "review_not_allowed"


async def test_the_coach_answers_once_and_an_admin_hides_an_abusive_review(
    client: Client, services: Services, clock: FakeClock
) -> None:
    booked = await book(client, services)
    await held_session(services, clock, booked)
    review_id = (await (await review(client, booked, rating=1, text="Rude words")).json())["id"]
    path = f"/api/reviews/{review_id}/response"

    other_coach = await make_user(services, Role.COACH, "Olga Other")
    foreign = await client.post(path, json={"text": "Hm"}, headers=other_coach.headers)
    assert (await problem(foreign, 404))["code"] == "review_not_found"
    by_client = await client.post(path, json={"text": "Hm"}, headers=booked.member.headers)
    assert by_client.status == 403
    empty = await client.post(path, json={"text": ""}, headers=booked.coach.headers)
    assert empty.status == 422
    answered = await client.post(
        path, json={"text": "I am sorry it felt that way."}, headers=booked.coach.headers
    )
    assert answered.status == 200, await answered.text()
    assert (await answered.json())["coach_response"] == "I am sorry it felt that way."
    assert (await answered.json())["responded_at"] is not None
    again = await client.post(path, json={"text": "Also"}, headers=booked.coach.headers)
    assert (await problem(again, 409))["code"] == "already_responded"

    hide = f"/api/admin/reviews/{review_id}/hide"
    by_coach = await client.post(hide, json={"reason": "Mine"}, headers=booked.coach.headers)
    assert by_coach.status == 403
    admin = await make_user(services, Role.ADMIN, "Ada Admin")
    no_reason = await client.post(hide, json={"reason": ""}, headers=admin.headers)
    assert no_reason.status == 422
    hidden = await client.post(hide, json={"reason": "Abusive language"}, headers=admin.headers)
    assert hidden.status == 200, await hidden.text()
    twice = await client.post(hide, json={"reason": "Again"}, headers=admin.headers)
    assert (await problem(twice, 409))["code"] == "already_hidden"

    profile = await get_json(client, f"/api/coaches/{booked.coach_id}")
    assert (profile["rating"]["count"], profile["rating"]["average"]) == (0, None)
    assert profile["reviews"] == []
    page = await get_json(client, f"/api/coaches/{booked.coach_id}/reviews")
    assert page["items"] == []
    async with services.db.session() as session:
        kept = await session.get(Review, uuid.UUID(review_id))
        assert kept is not None
        assert (kept.hidden_reason, kept.hidden_by, kept.text) == (
            "Abusive language",
            admin.user_id,
            "Rude words",
        )
        audited = list(
            await session.scalars(select(AuditRow).where(AuditRow.action == "review.hide"))
        )
    assert [(a.actor_id, a.item_id) for a in audited] == [(admin.user_id, f"review:{review_id}")]
    # A hidden review is not answered either.
    late = await client.post(path, json={"text": "x"}, headers=booked.coach.headers)
    assert late.status == 404


async def test_the_directory_rating_order_follows_a_new_review(
    client: Client, services: Services, clock: FakeClock
) -> None:
    tomorrow = START + timedelta(days=1)
    first, second = await book(client, services), await book(client, services, tomorrow)
    await held_session(services, clock, first)
    await held_session(services, clock, second, start=tomorrow)

    async def by_rating() -> list[tuple[str, Any]]:
        found = await get_json(client, "/api/coaches", sort="rating")
        return [(c["id"], c["rating"]) for c in found["items"]]

    assert (await review(client, first, rating=3)).status == 201
    assert await by_rating() == [
        (first.coach_id, {"average": 3.0, "count": 1}),
        (second.coach_id, {"average": None, "count": 0}),
    ]
    assert (await review(client, second, rating=5)).status == 201
    assert await by_rating() == [
        (second.coach_id, {"average": 5.0, "count": 1}),
        (first.coach_id, {"average": 3.0, "count": 1}),
    ]
