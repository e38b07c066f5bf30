"""Who is calling: bearer tokens checked on every request, and role checks.

A token is honoured while it is unexpired, its user's token version matches (log out
everywhere) and its login session is not revoked (log out).

`require(request, Role.COACH)` is the one way an API handler learns its caller. The socket.io
edge asks `Authenticator.socket_principal(token)` at every connect and every `join`: the same
checks, and a token scoped to two-factor setup is refused there, as every non-setup route
refuses it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import bindparam, select

from realtime.auth.models import AuthSession, Role, User
from realtime.auth.tokens import Scope, TokenCodec
from realtime.db import Database
from realtime.errors import Code, Forbidden, Unauthorized


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: Role
    display_name: str
    session_id: uuid.UUID
    scope: Scope
    # Read with the token check (no extra query): holding a slot needs a confirmed address.
    email_verified: bool


class Authenticator:
    def __init__(self, db: Database, codec: TokenCodec) -> None:
        self.db = db
        self.codec = codec

    async def principal(self, token: str) -> Principal:
        claims = self.codec.verify(token)
        # Every authenticated request runs this: one Core statement, no transaction around it.
        async with self.db.autocommit() as conn:
            row = (
                await conn.execute(
                    _CALLER, {"user_id": claims.user_id, "session_id": claims.session_id}
                )
            ).first()
        if row is None or row.token_version != claims.version or row.revoked_at is not None:
            raise Unauthorized(Code.TOKEN_INVALID, "This token was revoked; log in again.")
        if row.disabled_at is not None:
            raise Unauthorized(Code.ACCOUNT_DISABLED, "This account is disabled.")
        return Principal(
            user_id=claims.user_id,
            role=Role(row.role),
            display_name=row.display_name,
            session_id=claims.session_id,
            scope=claims.scope,
            email_verified=row.email_verified_at is not None,
        )

    async def socket_principal(self, token: str, *, phone: bool = False) -> Principal:
        """`principal`, for a socket: only a full-scope token may open one or join a room;
        with `phone` (the `/session` namespace), a phone call's bridge token as well."""
        principal = await self.principal(token)
        if not (phone and principal.scope == "phone"):
            _full_scope(principal)
        return principal


_CALLER = (
    select(
        User.role,
        User.display_name,
        User.token_version,
        User.disabled_at,
        User.email_verified_at,
        AuthSession.revoked_at,
    )
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), AuthSession.id == bindparam("session_id"))
)


AUTHENTICATOR = web.AppKey("authenticator", Authenticator)
_PRINCIPAL = web.RequestKey("principal", Principal)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def optional_principal(request: web.Request) -> Principal | None:
    """The caller if a valid token came with the request; None if none came."""
    if _PRINCIPAL in request:
        return request[_PRINCIPAL]
    token = bearer_token(request)
    if token is None:
        return None
    principal = await request.app[AUTHENTICATOR].principal(token)
    request[_PRINCIPAL] = principal
    return principal


async def require(request: web.Request, *roles: Role, allow_setup_scope: bool = False) -> Principal:
    """The caller, who must be logged in and (if roles are given) hold one of them."""
    principal = await optional_principal(request)
    if principal is None:
        raise Unauthorized(
            Code.UNAUTHENTICATED,
            "Log in first: send `Authorization: Bearer <access token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="flourish"'},
        )
    if not allow_setup_scope or principal.scope == "phone":
        _full_scope(principal)
    if roles and principal.role not in roles:
        needed = " or ".join(r.value for r in roles)
        raise Forbidden(Code.FORBIDDEN, f"This needs the {needed} role.")
    return principal


def _full_scope(principal: Principal) -> None:
    if principal.scope == "phone":
        raise Forbidden(Code.FORBIDDEN, "A phone call's token opens its session room only.")
    if principal.scope == "two_factor_setup":
        raise Forbidden(
            Code.TWO_FACTOR_SETUP_REQUIRED,
            "Turn on two-factor login (POST /api/auth/2fa/setup) before using your account.",
        )
