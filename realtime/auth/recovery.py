"""Email verification and passwords: verify, resend, change, forgot and reset.

Rules, and why:

- Links carry a single-use token of 32 random bytes; only its SHA-256 is stored
  (`account_tokens`), so a database reader cannot use a pending link. A verification link works
  for `EMAIL_VERIFY_HOURS`, a reset link for `PASSWORD_RESET_MINUTES`; issuing a new one of a
  purpose voids the account's earlier ones, and using one marks it used in the same transaction
  as its effect.
- "Forgot password" answers the same whether or not the address has an account, and emails only
  an account that exists.
- A reset ends every session of the account through `logout_all` (the same path as "log out
  everywhere"); a change (which needs the current password) ends every session but the
  caller's own, and tells the owner by email.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.auth.models import AccountToken, TokenPurpose, User
from realtime.auth.passwords import Passwords
from realtime.auth.revocations import Revocations, Revoked
from realtime.auth.sessions import revoke_sessions
from realtime.auth.tokens import hash_secret
from realtime.clock import Clock
from realtime.db import Database
from realtime.email.outbox import enqueue
from realtime.errors import BadRequest, Code, Conflict, Forbidden, Unauthorized
from realtime.settings import Settings

log = logging.getLogger(__name__)


async def tell(
    session: AsyncSession, user: User, now: datetime, template: str, **params: str
) -> None:
    """Put an email to the account's owner in the outbox, in `session` (their name is a
    param of every template)."""
    await enqueue(
        session,
        now,
        to=user.email,
        template=template,
        params={"name": user.display_name, **params},
        user_id=user.id,
    )


def _link_invalid() -> BadRequest:
    return BadRequest(
        Code.LINK_INVALID, "This link is unknown, already used or expired; ask for a new one."
    )


class Recovery:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        db: Database,
        passwords: Passwords,
        logout_all: Callable[[uuid.UUID], Awaitable[None]],
        revocations: Revocations,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.db = db
        self.passwords = passwords
        self.logout_all = logout_all
        self.revocations = revocations

    async def send_verification(self, session: AsyncSession, user: User, now: datetime) -> None:
        """Issue a verification link and put its email in the outbox, in `session`."""
        hours = self.settings.email_verify_hours
        token = await _issue(session, user.id, TokenPurpose.VERIFY_EMAIL, now, hours * 3600)
        await tell(session, user, now, "verify_email", token=token, hours=str(hours))

    async def resend_verification(self, user_id: uuid.UUID) -> None:
        now = self.clock.now()
        async with self.db.session() as session:
            user = await _user(session, user_id)
            if user.email_verified_at is not None:
                raise Conflict(
                    Code.EMAIL_ALREADY_VERIFIED, "Your email address is already confirmed."
                )
            await self.send_verification(session, user, now)

    async def verify_email(self, token: str) -> None:
        """Mark the address of the token's account verified; the token stops working."""
        now = self.clock.now()
        async with self.db.session() as session:
            found = await _use(session, token, TokenPurpose.VERIFY_EMAIL, now)
            user = await _user(session, found.user_id)
            if user.email_verified_at is None:
                user.email_verified_at = now
        log.info("account %s verified its email", found.user_id)

    async def forgot_password(self, email: str) -> None:
        """Email a reset link if `email` has an account; the same (nothing) answered if not."""
        now = self.clock.now()
        minutes = self.settings.password_reset_minutes
        async with self.db.session() as session:
            user = await session.scalar(select(User).where(User.email == email))
            if user is None or user.disabled_at is not None:
                return
            token = await _issue(session, user.id, TokenPurpose.RESET_PASSWORD, now, minutes * 60)
            await tell(session, user, now, "password_reset", token=token, minutes=str(minutes))
        log.info("account %s asked for a password reset", user.id)

    async def reset_password(
        self, token: str, new_password: str, check: Callable[[User], None]
    ) -> None:
        """Set a new password with a reset link's token; every session of the account ends.
        `check(user)` refuses a weak password before anything changes."""
        now = self.clock.now()
        async with self.db.session() as session:
            found = await _peek(session, token, TokenPurpose.RESET_PASSWORD, now)
            check(await _user(session, found.user_id))
        password_hash = await self.passwords.hash(new_password)
        async with self.db.session() as session:
            used = await _use(session, token, TokenPurpose.RESET_PASSWORD, now)
            user = await _user(session, used.user_id)
            user.password_hash = password_hash
            # Whoever opened the link reads this account's mail: the address is confirmed.
            user.email_verified_at = user.email_verified_at or now
        await self.logout_all(used.user_id)
        log.info("account %s reset its password", used.user_id)

    async def change_password(
        self,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        current: str,
        new_password: str,
        check: Callable[[User], None],
    ) -> None:
        """Needs the current password; ends every other session and tells the owner."""
        async with self.db.session() as session:
            user = await _user(session, user_id)
        if not await self.passwords.verify(user.password_hash, current):
            raise Forbidden(
                Code.INVALID_CREDENTIALS, "current_password: not your current password."
            )
        check(user)
        password_hash = await self.passwords.hash(new_password)
        now = self.clock.now()
        async with self.db.session() as session:
            user = await _user(session, user_id)
            user.password_hash = password_hash
            ended = await revoke_sessions(session, user_id, now, keep=session_id)
            await tell(session, user, now, "password_changed")
        for login_id in ended:  # their sockets go too, on every process
            await self.revocations.revoked(user_id, Revoked.PASSWORD_CHANGED, login_id)
        log.info("account %s changed its password (%d other logins ended)", user_id, len(ended))


async def _issue(
    session: AsyncSession, user_id: uuid.UUID, purpose: TokenPurpose, now: datetime, ttl: int
) -> str:
    """A new single-use token; the account's unused ones of the same purpose stop working."""
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose.value,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose.value,
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    return token


async def _peek(
    session: AsyncSession, token: str, purpose: TokenPurpose, now: datetime
) -> AccountToken:
    found = await session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == hash_secret(token), AccountToken.purpose == purpose.value
        )
    )
    if found is None or found.used_at is not None or now >= found.expires_at:
        raise _link_invalid()
    return found


async def _use(
    session: AsyncSession, token: str, purpose: TokenPurpose, now: datetime
) -> AccountToken:
    """The token's row, marked used; `link_invalid` if it is unknown, used or expired. The
    update is a compare-and-set, so two requests with one token cannot both succeed."""
    found = await _peek(session, token, purpose, now)
    claimed = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == found.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise _link_invalid()
    return found


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True)
    if user is None:
        raise Unauthorized(Code.TOKEN_INVALID, "This account no longer exists.")
    return user
