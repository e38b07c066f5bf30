"""Accounts: create, register, log in, refresh, log out, and the caller's own profile.

`create_account` is the one way an account is made (registration and `flourish create-admin`).
`Accounts` holds the use cases of the HTTP API, each one transaction; its `two_factor` attribute
holds the two-factor ones (`totp.py`), its `recovery` attribute email verification and
passwords (`recovery.py`).

Rules, and why:

- Emails and display names follow `identifiers.py` (NFKC, case-folded emails, nothing
  invisible, one script a word). Passwords are 12 to 128 characters, taken as typed (never
  stripped), strong by zxcvbn (`strength.py`), and may not be the email.
- Registering answers the same whether or not the address has an account: a new account gets
  a verification email, an existing one's owner an email saying someone tried. Nobody learns
  from the answer who is a client here. (Logging in with the password just chosen does tell
  whether the account was new: login before verification, which we allow, cannot hide that.)
- A wrong email and a wrong password get the same 401 `invalid_credentials`, and an unknown
  email still costs one Argon2 verification (`Passwords.dummy`), so neither the answer nor its
  timing tells whether an account exists.
- A login session is a refresh token, rotated on every refresh. A rotated token presented again
  means two parties hold the session (one of them a thief): the whole session is revoked. A
  session ends `REFRESH_TOKEN_TTL` after login or after `SESSION_IDLE_TIMEOUT` without a refresh.
- "Log out everywhere" revokes every session and bumps `User.token_version`, which every access
  token carries, so access tokens die at once too. Disabling an account does the same. After
  the commit, the sockets opened with the revoked tokens are disconnected on every server
  process (`revocations.py`); a password reset that calls `logout_all` gets that too.
- In production a coach or admin without two-factor login gets tokens of scope
  `two_factor_setup`, good only for setting it up (`access.require(allow_setup_scope=True)`);
  refreshing after `enable` gives a full token.
"""

from __future__ import annotations

import functools
import hmac
import logging
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.auth.identifiers import check_display_name, normalise_email
from realtime.auth.models import AuthSession, Role, User
from realtime.auth.passwords import Passwords
from realtime.auth.ratelimit import LoginLimiter
from realtime.auth.recovery import Recovery, tell
from realtime.auth.revocations import NoSockets, Revocations, Revoked
from realtime.auth.sessions import revoke_sessions
from realtime.auth.strength import check_strength
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
from realtime.errors import (
    AppError,
    Code,
    Conflict,
    FieldError,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from realtime.live import LiveState
from realtime.metrics import Metrics
from realtime.settings import Settings
from realtime.vault import Sealer

log = logging.getLogger(__name__)


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


def check_time_zone(raw: str) -> str:
    if raw not in _time_zones():
        raise ValueError("not an IANA time zone such as Europe/Paris")
    return raw


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def checked(field: str, rule: Callable[[str], str], value: str) -> str:
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
        cls,
        *,
        email: str,
        password: str,
        display_name: str,
        role: Role,
        time_zone: str,
        min_score: int,
    ) -> NewAccount:
        email = checked("email", normalise_email, email)
        display_name = checked("display_name", check_display_name, display_name)
        check_new_password(password, min_score, email, display_name)
        return cls(
            email=email,
            password=password,
            display_name=display_name,
            role=role,
            time_zone=checked("time_zone", check_time_zone, time_zone),
        )


def check_new_password(password: str, min_score: int, email: str, display_name: str) -> None:
    """`AccountInvalid` on `password` unless it is strong and not the account's own email."""
    if password.strip().casefold() == email:
        raise AccountInvalid("password", "must not be your email address")
    inputs = (email, email.split("@")[0], display_name, *display_name.split())
    try:
        check_strength(password, min_score, inputs)
    except ValueError as exc:
        raise AccountInvalid("password", str(exc)) from None


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
    min_score: int = 3,
) -> User:
    """A new account, its email taken as verified (an operator made it); `AccountError` if a
    field is wrong or the email is taken."""
    new = NewAccount.check(
        email=email,
        password=password,
        display_name=display_name,
        role=role,
        time_zone=time_zone,
        min_score=min_score,
    )
    password_hash = await passwords.hash(new.password)
    try:
        async with db.session() as session:
            return await _add_user(session, new, password_hash, clock.now(), verified=True)
    except IntegrityError:
        raise EmailTaken() from None


async def _add_user(
    session: AsyncSession, new: NewAccount, password_hash: str, now: datetime, *, verified: bool
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
        email_verified_at=now if verified else None,
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
        revocations: Revocations | None = None,
    ) -> None:
        self.settings = settings
        self.revocations = revocations or NoSockets()
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
        self.recovery = Recovery(settings, clock, db, passwords, self.logout_all, self.revocations)

    async def register(self, new: NewAccount) -> None:
        """A new account, with a verification email; for an address that has an account
        already, an email to its owner instead. Both answer alike (nothing returned, the same
        work done: a hash, a lookup, an outbox row), so the caller cannot tell which it was."""
        password_hash = await self.passwords.hash(new.password)
        now = self.clock.now()
        try:
            async with self.db.session() as session:
                existing = await session.scalar(select(User).where(User.email == new.email))
                if existing is None:
                    user = await _add_user(session, new, password_hash, now, verified=False)
                    await self.recovery.send_verification(session, user, now)
                    log.info("account %s registered as %s", user.id, user.role)
                    return
                await self._tell_already_registered(session, existing, now)
        except IntegrityError:  # registered at the same moment by another request
            async with self.db.session() as session:
                existing = await session.scalar(select(User).where(User.email == new.email))
                if existing is not None:
                    await self._tell_already_registered(session, existing, now)

    async def _tell_already_registered(
        self, session: AsyncSession, user: User, now: datetime
    ) -> None:
        await tell(session, user, now, "already_registered")
        log.info("registration for the address of account %s; owner emailed", user.id)

    async def login(
        self, *, email: str, password: str, otp: str | None, address: str, user_agent: str
    ) -> LoggedIn:
        try:
            email = normalise_email(email)
        except ValueError:
            email = email.strip().casefold()  # matches no account; still costs a verification
        try:
            await self.limiter.attempt_from(address)
            await self.limiter.check_account(email, address)
        except TooManyRequests:
            self._count("rate_limited")
            raise
        async with self.db.session() as session:
            found = await session.scalar(select(User).where(User.email == email))
        right = await self.passwords.verify(found.password_hash if found else None, password)
        if found is None or not right:
            await self._failed(found, email, address, "invalid_credentials")
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
                await self._failed(found, email, address, refusal.code.value)
            else:
                self._count(refusal.code.value)
            raise refusal
        await self.limiter.succeeded(email, address)
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
        if isinstance(refusal, RefreshReused):
            await self.revocations.revoked(auth.user_id, Revoked.REUSED, auth.id)
        raise refusal

    async def logout(self, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """End one login session: its refresh token stops working, its sockets close."""
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
        await self.revocations.revoked(user_id, Revoked.LOGGED_OUT, session_id)

    async def logout_all(
        self, user_id: uuid.UUID, reason: Revoked = Revoked.LOGGED_OUT_EVERYWHERE
    ) -> None:
        """End every session of the user, void every access token issued so far and close
        every socket opened with one: the one revoke-all path."""
        async with self.db.session() as session:
            await self._revoke_all(session, await self._user(session, user_id))
        await self.revocations.revoked(user_id, reason)
        log.info("account %s logged out everywhere (%s)", user_id, reason)

    async def disable(self, admin_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """An admin disables an account: no login, no refresh, every token and socket void."""
        if admin_id == user_id:
            raise Conflict(Code.CANNOT_DISABLE_SELF, "An admin cannot disable their own account.")
        async with self.db.session() as session:
            user = await self._account(session, user_id)
            if user.disabled_at is None:
                user.disabled_at = self.clock.now()
            await self._revoke_all(session, user)
        await self.revocations.revoked(user_id, Revoked.DISABLED)
        log.info("account %s disabled by admin %s", user_id, admin_id)

    async def enable(self, admin_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """An admin lets a disabled account log in again (its old sessions stay ended)."""
        async with self.db.session() as session:
            (await self._account(session, user_id)).disabled_at = None
        log.info("account %s enabled by admin %s", user_id, admin_id)

    async def _revoke_all(self, session: AsyncSession, user: User) -> None:
        user.token_version += 1
        await revoke_sessions(session, user.id, self.clock.now())

    async def me(self, user_id: uuid.UUID) -> User:
        async with self.db.session() as session:
            return await self._user(session, user_id)

    async def update_me(
        self, user_id: uuid.UUID, *, display_name: str | None, time_zone: str | None
    ) -> User:
        async with self.db.session() as session:
            user = await self._user(session, user_id)
            if display_name is not None:
                user.display_name = checked("display_name", check_display_name, display_name)
            if time_zone is not None:
                user.time_zone = checked("time_zone", check_time_zone, time_zone)
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

    async def _account(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        """An account an admin names, locked for the change."""
        user = await session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound(Code.USER_NOT_FOUND, f"No account has id {user_id}.")
        return user

    async def _failed(self, found: User | None, email: str, address: str, outcome: str) -> None:
        """Count a failed login; the first time in a window the account reaches the limit, its
        owner is emailed (once per window, not per attempt)."""
        alert = await self.limiter.failed(email, address)
        self._count(outcome)
        if alert and found is not None:
            async with self.db.session() as session:
                await tell(
                    session,
                    found,
                    self.clock.now(),
                    "login_failures",
                    count=str(self.limiter.max_failures),
                    minutes=str(self.limiter.window // 60),
                )
            log.warning("account %s: repeated failed logins; owner emailed", found.id)

    def _count(self, outcome: str) -> None:
        self.metrics.logins.labels(outcome).inc()
