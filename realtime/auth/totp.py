"""Two-factor login: TOTP (RFC 6238) and recovery codes, for coaches and admins.

Use cases: `setup` (a new secret, stored encrypted, not yet in force), `enable` (the first code
proves the authenticator app works; ten recovery codes are shown once), `disable` (password and
a code; refused in production, where coaches and admins must keep it) and
`new_recovery_codes` (the old set is void).

Rules, and why:

- A code is the 6-digit TOTP of the current 30-second step or the step on either side, to allow
  for clock drift and typing time (RFC 6238 section 5.2).
- Each step is accepted once: `User.totp_last_step` remembers the last one, and codes of that
  step or an earlier one are refused, so a code seen over a shoulder or in a log cannot be
  replayed.
- Time comes from the injected clock, never the system clock.
- A recovery code stands in for a TOTP code once; only its SHA-256 is kept.
- Wrong passwords and codes on `disable` and `new_recovery_codes` count as failed logins for the
  account (see `ratelimit.py`), so a stolen access token cannot be used to guess the password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.auth.models import RecoveryCode, User
from realtime.auth.passwords import Passwords
from realtime.auth.ratelimit import LoginLimiter
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, Conflict, Forbidden, Unauthorized
from realtime.vault import Sealer, user_scope

ISSUER = "Flourish"
TOTP_ITEM = "totp"  # the item id of a user's TOTP secret in their vault scope
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_TOTP = re.compile(r"\d{6}")


@dataclass(frozen=True)
class Provisioning:
    secret: str
    otpauth_uri: str


def new_recovery_codes() -> list[str]:
    """Ten codes of 12 characters (about 59 bits each), grouped as `abcd-efgh-jkmn`."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step (now, or one either side) whose TOTP is `code`, if later than `after`."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in (-1, 0, 1):
        step = current + offset
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return step
    return None


class SecondFactor:
    """Checks a TOTP or recovery code against a user, and records its use."""

    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer

    async def seal(self, user_id: uuid.UUID, secret: str) -> bytes:
        """Sealed in the user's vault scope; call outside a transaction (it may make the key)."""
        return await self.sealer.seal(user_scope(user_id), TOTP_ITEM, secret.encode())

    async def unseal(self, user_id: uuid.UUID, sealed: bytes) -> str:
        return (await self.sealer.open(user_scope(user_id), TOTP_ITEM, sealed)).decode()

    async def check(self, session: AsyncSession, user: User, code: str, now: datetime) -> bool:
        """Whether `code` is a fresh TOTP or an unused recovery code of `user` (consumed if so).

        Call inside the transaction that loaded `user` with `FOR UPDATE`, so two requests
        cannot both spend the same step or recovery code.
        """
        if user.totp_secret is None:
            return False
        given = _normalise(code)
        if _TOTP.fullmatch(given):
            secret = await self.unseal(user.id, user.totp_secret)
            step = matching_step(secret, given, now, user.totp_last_step)
            if step is None:
                return False
            user.totp_last_step = step
            return True
        recovery = await session.scalar(
            select(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == hash_recovery_code(given),
                RecoveryCode.used_at.is_(None),
            )
            .with_for_update()
        )
        if recovery is None:
            return False
        recovery.used_at = now
        return True


class TwoFactor:
    """The two-factor use cases of a logged-in coach or admin; each is one transaction."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        passwords: Passwords,
        limiter: LoginLimiter,
        sealer: Sealer,
        *,
        required: bool,
    ) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords
        self.limiter = limiter
        self.factor = SecondFactor(sealer)
        self.required = required

    async def at_login(
        self, session: AsyncSession, user: User, otp: str | None, now: datetime
    ) -> Unauthorized | None:
        """Why the second factor refuses this login, or None if it passes or is off."""
        if not user.two_factor_enabled:
            return None
        if not otp:
            return Unauthorized(
                Code.OTP_REQUIRED,
                "This account has two-factor login: send `otp`, the code from your "
                "authenticator app, or a recovery code.",
            )
        if not await self.factor.check(session, user, otp, now):
            return Unauthorized(
                Code.OTP_INVALID,
                "otp: not the current code (each code works once) nor an unused recovery code.",
            )
        return None

    async def setup(self, user_id: uuid.UUID) -> Provisioning:
        """A new secret for the authenticator app; two-factor login is not on until `enable`."""
        secret = pyotp.random_base32()
        sealed = await self.factor.seal(user_id, secret)
        async with self.db.session() as session:
            user = await _user(session, user_id)
            if user.two_factor_enabled:
                raise Conflict(
                    Code.TWO_FACTOR_ALREADY_ENABLED,
                    "Two-factor login is already on; turn it off first to change the secret.",
                )
            user.totp_secret = sealed
            user.totp_last_step = None
            uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return Provisioning(secret=secret, otpauth_uri=uri)

    async def enable(self, user_id: uuid.UUID, code: str) -> list[str]:
        """Turn two-factor login on once `code` proves the app has the secret."""
        now = self.clock.now()
        codes = new_recovery_codes()
        async with self.db.session() as session:
            user = await _user(session, user_id)
            if user.two_factor_enabled:
                raise Conflict(Code.TWO_FACTOR_ALREADY_ENABLED, "Two-factor login is already on.")
            if user.totp_secret is None:
                raise Conflict(
                    Code.TWO_FACTOR_NOT_SET_UP,
                    "Start with POST /api/auth/2fa/setup to get a secret, then send its code.",
                )
            secret = await self.factor.unseal(user.id, user.totp_secret)
            step = matching_step(secret, _normalise(code), now, user.totp_last_step)
            if step is None:
                raise Forbidden(
                    Code.OTP_INVALID,
                    "code: not the current code of the secret from setup; check the app's clock.",
                )
            user.totp_last_step = step
            user.totp_enabled_at = now
            await _replace_recovery_codes(session, user.id, codes)
        return codes

    async def disable(self, user_id: uuid.UUID, password: str, code: str) -> None:
        """Turn two-factor login off, after the password and a code."""
        if self.required:
            raise Forbidden(
                Code.FORBIDDEN, "Coaches and admins must keep two-factor login on in production."
            )
        email = await self._check_password(user_id, password)
        async with self.db.session() as session:
            user = await _user(session, user_id)
            _need_enabled(user)
            accepted = await self.factor.check(session, user, code, self.clock.now())
            if accepted:
                user.totp_secret = None
                user.totp_enabled_at = None
                user.totp_last_step = None
                await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        if not accepted:
            await self._code_refused(email)

    async def new_recovery_codes(self, user_id: uuid.UUID, code: str) -> list[str]:
        """A fresh set of recovery codes, after a code; the old set stops working."""
        codes = new_recovery_codes()
        async with self.db.session() as session:
            user = await _user(session, user_id)
            _need_enabled(user)
        await self.limiter.check_account(user.email)
        async with self.db.session() as session:
            user = await _user(session, user_id)
            accepted = await self.factor.check(session, user, code, self.clock.now())
            if accepted:
                await _replace_recovery_codes(session, user.id, codes)
        if not accepted:
            await self._code_refused(user.email)
        return codes

    async def _check_password(self, user_id: uuid.UUID, password: str) -> str:
        """The user's email, if `password` is theirs; a failure counts against the account."""
        async with self.db.session() as session:
            user = await _user(session, user_id)
            _need_enabled(user)
        await self.limiter.check_account(user.email)
        if not await self.passwords.verify(user.password_hash, password):
            await self.limiter.failed(user.email)
            raise Forbidden(Code.INVALID_CREDENTIALS, "password: not your current password.")
        return user.email

    async def _code_refused(self, email: str) -> NoReturn:
        await self.limiter.failed(email)
        raise Forbidden(Code.OTP_INVALID, "code: not a current code nor an unused recovery code.")


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise Unauthorized(Code.TOKEN_INVALID, "This account no longer exists; log in again.")
    return user


def _need_enabled(user: User) -> None:
    if not user.two_factor_enabled:
        raise Conflict(Code.TWO_FACTOR_NOT_ENABLED, "Two-factor login is not on for this account.")


async def _replace_recovery_codes(
    session: AsyncSession, user_id: uuid.UUID, codes: list[str]
) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=hash_recovery_code(c)) for c in codes)
