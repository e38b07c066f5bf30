"""Callers and coaches for the coach-side tests.

Users are inserted straight into the database with a login session and given real signed
access tokens (the same codec the authenticator checks), minted afresh at each use so that a
test can move the clock by months without its tokens expiring. Coaches apply and are approved
through the real services.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from booking.storage.reference import AGREEMENT_VERSION
from realtime.auth.models import AuthSession, Role, User
from realtime.wiring import Services

Client = TestClient[Any, Any]


@dataclass(frozen=True)
class Caller:
    services: Services
    user_id: uuid.UUID
    role: Role
    session_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        token, _ = self.services.tokens.issue(
            self.user_id, self.role.value, session_id=self.session_id, version=0, scope="full"
        )
        return {"Authorization": f"Bearer {token}"}


async def make_user(services: Services, role: Role, name: str = "Pat Doe") -> Caller:
    user = User(
        email=f"{uuid.uuid4().hex[:12]}@example.org",
        password_hash="!unusable",
        role=role.value,
        display_name=name,
        created_at=services.clock.now(),
        email_verified_at=services.clock.now(),
    )
    async with services.db.session() as session:
        session.add(user)
    return await another_login(Caller(services, user.id, role, session_id=uuid.UUID(int=0)))


async def another_login(caller: Caller) -> Caller:
    """The same account with a new login session of its own (another device)."""
    now = caller.services.clock.now()
    login = AuthSession(
        user_id=caller.user_id,
        token_hash="!unusable",
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(days=3650),
    )
    async with caller.services.db.session() as session:
        session.add(login)
    return dataclasses.replace(caller, session_id=login.id)


def application(**changes: Any) -> dict[str, Any]:
    """A complete, valid application body; `changes` replace top-level fields."""
    body: dict[str, Any] = {
        "display_name": "Dr Ann Lee",
        "photo_url": "https://images.example.org/ann.jpg",
        "bio": "Couples therapist in Brooklyn.",
        "approach": "Gottman method, emotionally focused.",
        "time_zone": "America/New_York",
        "languages": ["en", "pt-BR"],
        "specialties": ["couples-therapy", "communication"],
        "offerings": [
            {"session_type": "video", "rate_minor": 12000, "durations": [50, 90]},
            {"session_type": "chat", "rate_minor": 6000, "durations": [30]},
        ],
        "currency": "USD",
        "years_experience": 8,
        "weekly_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}],
        "credentials": [
            {
                "license_type": "LMFT",
                "license_number": "LMFT-00123",
                "issuing_country": "US",
                "issuing_region": "US-NY",
                "expires_on": "2028-06-30",
            }
        ],
        "references": [
            {"name": "Dr Sam Roe", "email": "sam@example.org", "relationship": "Supervisor"},
            {
                "name": "Dr Kim Poe",
                "email": "kim@example.org",
                "relationship": "Colleague",
                "phone": "+1 212 555 0100",
            },
        ],
        "agreement_version": AGREEMENT_VERSION,
    }
    body.update(changes)
    return body


async def apply(client: Client, coach: Caller, **changes: Any) -> dict[str, Any]:
    response = await client.post(
        "/api/coaches/me/application", json=application(**changes), headers=coach.headers
    )
    assert response.status == 201, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def approve(
    client: Client, admin: Caller, application_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/admin/applications/{application_id}/approve", json=body, headers=admin.headers
    )
    assert response.status == 200, await response.text()
    result: dict[str, Any] = await response.json()
    return result


async def listed_coach(
    client: Client, services: Services, admin: Caller, **changes: Any
) -> tuple[Caller, str]:
    """A coach who applied with `application(**changes)` and was approved: (caller, coach id)."""
    coach = await make_user(services, Role.COACH, changes.get("display_name", "Dr Ann Lee"))
    submitted = await apply(client, coach, **changes)
    await approve(client, admin, submitted["id"])
    return coach, str(submitted["coach_id"])


async def get_json(client: Client, path: str, caller: Caller | None = None, **params: Any) -> Any:
    """GET that must succeed; its JSON body."""
    return await get_query(client, path, params, caller)


async def get_query(
    client: Client, path: str, params: dict[str, Any], caller: Caller | None = None
) -> Any:
    """GET with these query parameters that must succeed; its JSON body."""
    headers = caller.headers if caller else {}
    response = await client.get(path, params=params, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def problem(response: Any, status: int) -> dict[str, Any]:
    """The problem body of a response that must have this status."""
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    return body
