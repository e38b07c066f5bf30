"""Two-factor login (TOTP and recovery codes) for coaches and admins, and production's rule."""

from __future__ import annotations

from typing import Any

import pyotp
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from realtime.app import create_app
from realtime.auth.models import User
from realtime.db import Database
from realtime.settings import Environment, Settings
from tests.conftest import FAST_PASSWORDS, AiohttpClient
from tests.realtime.auth.conftest import ClientWith
from tests.realtime.auth.flows import PASSWORD, bearer, login, me, refresh, register
from tests.support.clock import FakeClock


async def _turn_on(
    client: TestClient[Any, Any], clock: FakeClock, token: str
) -> tuple[pyotp.TOTP, list[str]]:
    """Set up and enable two-factor login; answer the app's TOTP and the recovery codes."""
    response = await client.post("/api/auth/2fa/setup", headers=bearer(token))
    assert response.status == 200, await response.text()
    setup = await response.json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/Flourish:")
    totp = pyotp.TOTP(setup["secret"])
    response = await client.post(
        "/api/auth/2fa/enable", json={"code": totp.at(clock.now())}, headers=bearer(token)
    )
    assert response.status == 200, await response.text()
    codes: list[str] = (await response.json())["recovery_codes"]
    return totp, codes


async def test_clients_cannot_use_two_factor_routes(client: TestClient[Any, Any]) -> None:
    token = (await register(client))["tokens"]["access_token"]
    response = await client.post("/api/auth/2fa/setup", headers=bearer(token))
    assert response.status == 403
    assert (await response.json())["code"] == "forbidden"


async def test_login_with_totp_accepts_each_code_once(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    totp, codes = await _turn_on(client, clock, token)
    assert len(set(codes)) == 10
    assert (await me(client, token))[1]["two_factor_enabled"] is True

    status, problem = await login(client)
    assert (status, problem["code"]) == (401, "otp_required")
    status, problem = await login(client, otp=totp.at(clock.now()))  # spent on enable
    assert (status, problem["code"]) == (401, "otp_invalid")
    clock.advance(30)
    assert (await login(client, otp=totp.at(clock.now())))[0] == 200
    status, problem = await login(client, otp=totp.at(clock.now()))
    assert (status, problem["code"]) == (401, "otp_invalid")


async def test_a_code_of_the_previous_step_is_accepted(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    totp, _ = await _turn_on(client, clock, token)
    clock.advance(60)
    assert (await login(client, otp=totp.at(clock.now(), counter_offset=-1)))[0] == 200
    status, _ = await login(client, otp=totp.at(clock.now(), counter_offset=-2))
    assert status == 401


async def test_a_recovery_code_works_once(client: TestClient[Any, Any], clock: FakeClock) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    _, codes = await _turn_on(client, clock, token)
    assert (await login(client, otp=codes[0].upper()))[0] == 200
    status, problem = await login(client, otp=codes[0])
    assert (status, problem["code"]) == (401, "otp_invalid")


async def test_new_recovery_codes_void_the_old_ones(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    totp, old = await _turn_on(client, clock, token)
    clock.advance(30)
    response = await client.post(
        "/api/auth/2fa/recovery-codes", json={"code": totp.at(clock.now())}, headers=bearer(token)
    )
    assert response.status == 200
    new = (await response.json())["recovery_codes"]
    assert (await login(client, otp=old[1]))[0] == 401
    assert (await login(client, otp=new[1]))[0] == 200


async def test_setup_twice_after_enable_is_a_conflict(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    await _turn_on(client, clock, token)
    response = await client.post("/api/auth/2fa/setup", headers=bearer(token))
    assert response.status == 409
    assert (await response.json())["code"] == "two_factor_already_enabled"


async def test_enable_refuses_a_wrong_code(client: TestClient[Any, Any]) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    await client.post("/api/auth/2fa/setup", headers=bearer(token))
    response = await client.post(
        "/api/auth/2fa/enable", json={"code": "000000"}, headers=bearer(token)
    )
    assert response.status == 403
    assert (await response.json())["code"] == "otp_invalid"
    assert (await me(client, token))[1]["two_factor_enabled"] is False


async def test_disable_needs_password_and_code(
    client: TestClient[Any, Any], clock: FakeClock
) -> None:
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    totp, _ = await _turn_on(client, clock, token)
    clock.advance(30)
    wrong = await client.post(
        "/api/auth/2fa/disable",
        json={"password": "not the password", "code": totp.at(clock.now())},
        headers=bearer(token),
    )
    assert (wrong.status, (await wrong.json())["code"]) == (403, "invalid_credentials")
    response = await client.post(
        "/api/auth/2fa/disable",
        json={"password": PASSWORD, "code": totp.at(clock.now())},
        headers=bearer(token),
    )
    assert response.status == 204
    assert (await login(client))[0] == 200


async def test_production_makes_coaches_set_up_two_factor(
    client_with: ClientWith, clock: FakeClock
) -> None:
    client = await client_with(env=Environment.PRODUCTION)
    registered = await register(client, role="coach")
    assert registered["two_factor_setup_required"] is True
    tokens = registered["tokens"]
    assert tokens["scope"] == "two_factor_setup"
    token = tokens["access_token"]

    assert (await me(client, token))[0] == 200
    response = await client.patch("/api/me", json={"display_name": "A"}, headers=bearer(token))
    assert response.status == 403
    assert (await response.json())["code"] == "two_factor_setup_required"

    totp, _ = await _turn_on(client, clock, token)
    status, body = await refresh(client, tokens["refresh_token"])
    assert (status, body["tokens"]["scope"], body["two_factor_setup_required"]) == (
        200,
        "full",
        False,
    )
    token = body["tokens"]["access_token"]
    response = await client.patch("/api/me", json={"display_name": "A"}, headers=bearer(token))
    assert response.status == 200
    clock.advance(30)
    response = await client.post(
        "/api/auth/2fa/disable",
        json={"password": PASSWORD, "code": totp.at(clock.now())},
        headers=bearer(token),
    )
    assert (response.status, (await response.json())["code"]) == (403, "forbidden")


async def test_production_does_not_ask_clients_for_two_factor(client_with: ClientWith) -> None:
    client = await client_with(env=Environment.PRODUCTION)
    registered = await register(client)
    assert registered["tokens"]["scope"] == "full"
    status, body = await login(client)
    assert (status, body["two_factor_setup_required"]) == (200, False)


async def test_the_secret_is_sealed_and_opens_after_a_restart(
    client: TestClient[Any, Any],
    clock: FakeClock,
    settings: Settings,
    aiohttp_client: AiohttpClient,
) -> None:
    """Sealed in the user's vault scope; a new process (nothing cached) opens it inside the
    login transaction."""
    token = (await register(client, role="coach"))["tokens"]["access_token"]
    totp, _ = await _turn_on(client, clock, token)
    db = Database(settings.database_url, schema=settings.database_schema)
    try:
        async with db.session() as session:
            [(user_id, sealed)] = (await session.execute(select(User.id, User.totp_secret))).all()
    finally:
        await db.close()
    assert sealed is not None
    assert totp.secret.encode() not in sealed
    assert sealed[0] == 1  # the vault's format, not a Fernet token under SECRET_KEY
    restarted = await aiohttp_client(create_app(settings, clock=clock, passwords=FAST_PASSWORDS))
    clock.advance(30)
    assert (await login(restarted, otp=totp.at(clock.now())))[0] == 200
    assert user_id is not None
