"""Logins of phone calls: the bridge of a dial-in call (`media.bridge`) joins the session room
over `/session` as the caller, with a token of its own.

A call's login is a login session row like any other (so "log out everywhere", a disabled
account and the sessions list apply to it, and `SocketRights` closes its socket at once), with
these differences:

- no refresh token: the row's hash is of a secret nobody is given, so it cannot be refreshed;
  the bridge asks `token` for a fresh access token whenever it (re)connects;
- its access tokens have scope `phone`: `/session` takes them (`socket_principal(phone=True)`),
  no HTTP route and no other namespace does (`access._full_scope`);
- it ends with the call (`end`), or on its own after `PHONE_LOGIN_SECONDS`.

The token never leaves the process: the bridge is a socket.io client of this same server.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from realtime.auth.models import AuthSession, User
from realtime.auth.tokens import TokenCodec, hash_secret, new_refresh_secret
from realtime.clock import Clock
from realtime.db import Database, new_id
from realtime.errors import Code, Unauthorized

# Longer than any session and its grace; a call's login is ended when the call ends.
PHONE_LOGIN_SECONDS = 6 * 3600
PHONE_USER_AGENT = "Phone call (dial-in)"


class PhoneLogins:
    def __init__(self, db: Database, clock: Clock, tokens: TokenCodec) -> None:
        self.db = db
        self.clock = clock
        self.tokens = tokens

    async def open(self, user_id: uuid.UUID) -> uuid.UUID:
        """A new login for a call of `user_id`; its id."""
        now = self.clock.now()
        login = AuthSession(
            id=new_id(),
            user_id=user_id,
            token_hash=hash_secret(new_refresh_secret()),  # of a secret nobody holds
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(seconds=PHONE_LOGIN_SECONDS),
            user_agent=PHONE_USER_AGENT,
        )
        async with self.db.session() as session:
            session.add(login)
        return login.id

    async def token(self, login_id: uuid.UUID) -> str:
        """A `phone`-scope access token of the login, while it lasts."""
        now = self.clock.now()
        async with self.db.session() as session:
            row = (
                await session.execute(
                    select(User.id, User.role, User.token_version, User.disabled_at, AuthSession)
                    .join(AuthSession, AuthSession.user_id == User.id)
                    .where(AuthSession.id == login_id)
                )
            ).first()
            if row is None or row.AuthSession.revoked_at is not None:
                raise Unauthorized(Code.TOKEN_INVALID, "The call's login was ended.")
            if row.disabled_at is not None:
                raise Unauthorized(Code.ACCOUNT_DISABLED, "This account is disabled.")
            if row.AuthSession.expires_at <= now:
                raise Unauthorized(Code.TOKEN_EXPIRED, "The call's login has expired.")
            row.AuthSession.last_used_at = now
            token, _ = self.tokens.issue(row.id, row.role, login_id, row.token_version, "phone")
        return token

    async def end(self, login_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.id == login_id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())
            )
