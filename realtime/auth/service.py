"""Accounts: create, register, log in, refresh, log out, and the caller's own profile.

`create_account` is the one way an account is made (registration and `flourish create-admin`).
`Accounts` holds the use cases of the HTTP API, each one transaction; its `two_factor` attribute
holds the two-factor ones (`totp.py`).

Rules, and why:

- Emails are stripped and lower-cased before anything else, so `Ann@X.org ` and `ann@x.org` are
  one account. Passwords are 12 to 128 characters, taken as typed (never stripped), and may not
  be the email.
- A wrong email and a wrong password get the same 401 `invalid_credentials`, and an unknown
  email still costs one Argon2 verification (`Passwords.dummy`), so neither the answer nor its
  timing tells whether an account exists.
- A login session is a refresh token, rotated on every refresh. A rotated token presented again
  means two parties hold the session (one of them a thief): the whole session is revoked. A
  session ends `REFRESH_TOKEN_TTL` after login or after `SESSION_IDLE_TIMEOUT` without a refresh.
- "Log out everywhere" revokes every session and bumps `User.token_version`, which every access
  token carries, so access tokens die at once too.
- In production a coach or admin without two-factor login gets tokens of scope
  `two_factor_setup`, good only for setting it up (`access.require(allow_setup_scope=True)`);
  refreshing after `enable` gives a full token.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.auth.models import AuthSession, Role, User
from realtime.auth.passwords import Passwords
from realtime.auth.ratelimit import LoginLimiter
from realtime.auth.tokens import (
    Scope,
    TokenCodec,
    hash_secret,
    new_refresh_secret,
    split_refresh_token,
)
from realtime.auth.totp import TwoFactor
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import AppError, Code, FieldError, TooManyRequests, Unauthorized
from realtime.live import LiveState
from realtime.metrics import Metrics
from realtime.settings import Settings
from realtime.vault import Sealer

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class AccountError(AppError):
    """An account cannot be created or changed as asked; the message says why."""


class AccountInvalid(AccountError):
    status = 422
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            Code.VALIDATION_FAILED, f"{field}: {message}", errors=[FieldError(field, message)]
        )


class EmailTaken(AccountError):
    status = 409
    title = "Conflict"

    def __init__(self) -> None:
        super().__init__(Code.EMAIL_TAKEN, "An account with this email already exists.")


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValueError("not a valid email address")
    return email


def check_password(password: str) -> str:
    if not 12 <= len(password) <= 128:
        raise ValueError("must be 12 to 128 characters long")
    return password


def check_display_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 120:
        raise ValueError("must be 1 to 120 characters long")
    return name


def check_time_zone(raw: str) -> str:
    if raw not in _time_zones():
        raise ValueError("not an IANA time zone such as Europe/Paris")
    return raw


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _checked(field: str, rule: Callable[[str], str], value: str) -> str:
    try:
        return rule(value)
    except ValueError as exc:
        raise AccountInvalid(field, str(exc)) from None


@dataclass(frozen=True)
class NewAccount:
    """An account's fields, checked and normalised."""

    email: str
    password: str
    display_name: str
    role: Role
    time_zone: str

    @classmethod
    def check(
        cls, *, email: str, password: str, display_name: str, role: Role, time_zone: str
    ) -> NewAccount:
        email = _checked("email", normalise_email, email)
        _checked("password", check_password, password)
        if password.strip().lower() == email:
            raise AccountInvalid("password", "must not be your email address")
        return cls(
            email=email,
            password=password,
            display_name=_checked("display_name", check_display_name, display_name),
            role=role,
            time_zone=_checked("time_zone", check_time_zone, time_zone),
        )


async def create_account(
    db: Database,
    passwords: Passwords,
    clock: Clock,
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role,
    time_zone: str = "UTC",
) -> User:
    """A new account; `AccountError` if a field is wrong or the email is taken."""
    new = NewAccount.check(
        email=email, password=password, display_name=display_name, role=role, time_zone=time_zone
    )
    password_hash = await passwords.hash(new.password)
    try:
        async with db.session() as session:
            return await _add_user(session, new, password_hash, clock.now())
    except IntegrityError:
        raise EmailTaken() from None


async def _add_user(
    session: AsyncSession, new: NewAccount, password_hash: str, now: datetime
) -> User:
    taken = await session.scalar(select(User.id).where(User.email == new.email))
    if taken is not None:
        raise EmailTaken()
    user = User(
        id=new_id(),
        email=new.email,
        password_hash=password_hash,
        role=new.role.value,
        display_name=new.display_name,
        time_zone=new.time_zone,
        created_at=now,
        token_version=0,
    )
    session.add(user)
    await session.flush()
    return user


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    scope: Scope
    token_type: str = "Bearer"


@dataclass(frozen=True)
class LoggedIn:
    user: User
    tokens: TokenPair

    @property
    def two_factor_setup_required(self) -> bool:
        return self.tokens.scope == "two_factor_setup"


class RefreshReused(Unauthorized):
    """A rotated refresh token came back: someone else holds a copy of the session."""

    def __init__(self) -> None:
        super().__init__(
            Code.TOKEN_INVALID,
            "This refresh token was already used, so the session has been ended in case it "
            "was stolen; log in again.",
        )


class Accounts:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        db: Database,
        live: LiveState,
        passwords: Passwords,
        tokens: TokenCodec,
        metrics: Metrics,
        sealer: Sealer,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.db = db
        self.passwords = passwords
        self.tokens = tokens
        self.metrics = metrics
        self.limiter = LoginLimiter(
            live,
            settings.secret_key,
            max_failures=settings.login_max_failures,
            max_per_address=settings.login_max_attempts_per_address,
            window=settings.login_window,
        )
        self.two_factor = TwoFactor(
            db,
            clock,
            passwords,
            self.limiter,
            sealer,
            required=settings.requires_two_factor,
        )

    async def register(self, new: NewAccount, *, user_agent: str) -> LoggedIn:
        """A new account, logged in."""
        password_hash = await self.passwords.hash(new.password)
        now = self.clock.now()
        try:
            async with self.db.session() as session:
                user = await _add_user(session, new, password_hash, now)
                tokens = self._open_session(session, user, now, user_agent)
        except IntegrityError:
            raise EmailTaken() from None
        log.info("account %s registered as %s", user.id, user.role)
        return LoggedIn(user, tokens)

    async def login(
        self, *, email: str, password: str, otp: str | None, address: str, user_agent: str
    ) -> LoggedIn:
        email = email.strip().lower()
        try:
            await self.limiter.attempt_from(address)
            await self.limiter.check_account(email)
        except TooManyRequests:
            self._count("rate_limited")
            raise
        async with self.db.session() as session:
            found = await session.scalar(select(User).where(User.email == email))
        right = await self.passwords.verify(found.password_hash if found else None, password)
        if found is None or not right:
            await self._failed(email, "invalid_credentials")
            raise Unauthorized(Code.INVALID_CREDENTIALS, "The email or password is wrong.")
        if found.disabled_at is not None:
            self._count("disabled")
            raise Unauthorized(Code.ACCOUNT_DISABLED, "This account is disabled.")
        new_hash = (
            await self.passwords.hash(password)
            if self.passwords.needs_rehash(found.password_hash)
            else None
        )
        now = self.clock.now()
        async with self.db.session() as session:
            user = await session.get(User, found.id, with_for_update=True)
            if user is None:
                raise Unauthorized(Code.INVALID_CREDENTIALS, "The email or password is wrong.")
            refusal = await self.two_factor.at_login(session, user, otp, now)
            if refusal is None:
                if new_hash is not None:
                    user.password_hash = new_hash
                tokens = self._open_session(session, user, now, user_agent)
        if refusal is not None:
            if refusal.code is Code.OTP_INVALID:
                await self.limiter.failed(email)
            self._count(refusal.code.value)
            raise refusal
        await self.limiter.succeeded(email)
        self._count("success")
        log.info("account %s logged in", user.id)
        return LoggedIn(user, tokens)

    async def refresh(self, token: str, *, user_agent: str) -> LoggedIn:
        """A new token pair for a live session; the presented refresh token stops working."""
        session_id, secret = split_refresh_token(token)
        now = self.clock.now()
        async with self.db.session() as session:
            auth = await session.get(AuthSession, session_id, with_for_update=True)
            if auth is None:
                raise Unauthorized(Code.TOKEN_INVALID, "The refresh token is not valid.")
            refusal = self._refusal(auth, secret, now)
            if refusal is None:
                user = await session.get(User, auth.user_id)
                if user is not None and user.disabled_at is None:
                    return LoggedIn(user, self._rotate(auth, user, now, user_agent))
                refusal = Unauthorized(Code.ACCOUNT_DISABLED, "This account is disabled.")
            elif isinstance(refusal, RefreshReused):
                # Committed before refusing: the thief's copy dies with the owner's.
                auth.revoked_at = now
                log.warning("refresh token of session %s reused; session revoked", auth.id)
        raise refusal

    async def logout(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """End one login session: its refresh token stops working."""
        async with self.db.session() as session:
            await session.execute(
                update(AuthSession)
                .where(
                    AuthSession.id == session_id,
                    AuthSession.user_id == user_id,
                    AuthSession.revoked_at.is_(None),
                )
                .values(revoked_at=self.clock.now())
            )

    async def logout_all(self, user_id: uuid.UUID) -> None:
        """End every session of the user and void every access token issued so far."""
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            user.token_version += 1
            await session.execute(
                update(AuthSession)
                .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())
            )
        log.info("account %s logged out everywhere", user_id)

    async def me(self, user_id: uuid.UUID) -> User:
        async with self.db.session() as session:
            return await self._user(session, user_id)

    async def update_me(
        self, user_id: uuid.UUID, *, display_name: str | None, time_zone: str | None
    ) -> User:
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            if display_name is not None:
                user.display_name = _checked("display_name", check_display_name, display_name)
            if time_zone is not None:
                user.time_zone = _checked("time_zone", check_time_zone, time_zone)
            return user

    def _scope(self, user: User) -> Scope:
        needs_setup = (
            self.settings.requires_two_factor
            and user.role in (Role.COACH, Role.ADMIN)
            and not user.two_factor_enabled
        )
        return "two_factor_setup" if needs_setup else "full"

    def _open_session(
        self, session: AsyncSession, user: User, now: datetime, user_agent: str
    ) -> TokenPair:
        auth = AuthSession(
            id=new_id(),
            user_id=user.id,
            token_hash="",
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl),
            user_agent=user_agent[:200],
        )
        session.add(auth)
        return self._rotate(auth, user, now, user_agent)

    def _rotate(self, auth: AuthSession, user: User, now: datetime, user_agent: str) -> TokenPair:
        """Give the session a new refresh secret and issue an access token for it."""
        secret = new_refresh_secret()
        auth.token_hash = hash_secret(secret)
        auth.last_used_at = now
        auth.user_agent = user_agent[:200]
        scope = self._scope(user)
        access, _ = self.tokens.issue(user.id, user.role, auth.id, user.token_version, scope)
        return TokenPair(
            access_token=access,
            expires_in=self.tokens.ttl,
            refresh_token=f"{auth.id}.{secret}",
            refresh_expires_at=auth.expires_at,
            scope=scope,
        )

    def _refusal(self, auth: AuthSession, secret: str, now: datetime) -> AppError | None:
        """Why this session's refresh token cannot be used, or None if it can."""
        if auth.revoked_at is not None:
            return Unauthorized(
                Code.TOKEN_INVALID, "This session was ended (logged out or revoked); log in again."
            )
        if not hmac.compare_digest(auth.token_hash, hash_secret(secret)):
            return RefreshReused()
        if now >= auth.expires_at:
            hours = self.settings.refresh_token_ttl / 3600
            return Unauthorized(
                Code.TOKEN_EXPIRED,
                f"The session reached its longest life of {hours:g} hours; log in again.",
            )
        idle = self.settings.session_idle_timeout
        if (now - auth.last_used_at).total_seconds() > idle:
            return Unauthorized(
                Code.TOKEN_EXPIRED,
                f"The session was idle for more than {idle // 60} minutes; log in again.",
            )
        return None

    async def _user(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        user = await session.get(User, user_id)
        if user is None:
            raise Unauthorized(Code.TOKEN_INVALID, "This account no longer exists; log in again.")
        return user

    async def _failed(self, email: str, outcome: str) -> None:
        await self.limiter.failed(email)
        self._count(outcome)

    def _count(self, outcome: str) -> None:
        self.metrics.logins.labels(outcome).inc()
