"""Access tokens (short-lived signed JWTs) and refresh tokens (opaque, stored hashed).

An access token names the user, their role, the login session and the user's token version;
"log out everywhere" bumps the version, so every access token issued before dies at once.
A refresh token is `<session id>.<secret>`; the database keeps only a SHA-256 of the secret and
rotates it on every refresh. A token with scope `two_factor_setup` is what a coach or admin
gets in production before turning on TOTP: it opens only the two-factor setup routes.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

from realtime.clock import Clock
from realtime.errors import Code, Unauthorized
from realtime.keys import derive

# `phone`: a phone call's bridge (media.bridge) in its session room; nothing else (no HTTP route,
# no other namespace). Issued only inside the server, never sent to a client.
Scope = Literal["full", "two_factor_setup", "phone"]
SCOPES: tuple[Scope, ...] = ("full", "two_factor_setup", "phone")


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    session_id: uuid.UUID
    version: int
    scope: Scope
    expires_at: datetime


# How many checked access tokens each process remembers (then it starts over).
CHECKED_TOKENS = 10_000


class TokenCodec:
    def __init__(self, secret_key: str, clock: Clock, ttl: int) -> None:
        self.key = derive(secret_key, "access-token")
        self.clock = clock
        self.ttl = ttl
        self._checked: dict[str, AccessClaims] = {}

    def issue(
        self, user_id: uuid.UUID, role: str, session_id: uuid.UUID, version: int, scope: Scope
    ) -> tuple[str, datetime]:
        now = self.clock.now()
        expires = now + timedelta(seconds=self.ttl)
        token = jwt.encode(
            {
                "sub": str(user_id),
                "role": role,
                "sid": str(session_id),
                "ver": version,
                "scope": scope,
                "typ": "access",
                "iat": int(now.timestamp()),
                "exp": int(expires.timestamp()),
            },
            self.key,
            algorithm="HS256",
        )
        return token, expires

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid, unexpired access token. Checking a signature costs more than
        the rest of a small request, so each process remembers the tokens it has checked (they
        are short-lived; expiry is still checked every time, revocation by the caller)."""
        claims = self._checked.get(token)
        if claims is None:
            claims = self._decode(token)
            if len(self._checked) >= CHECKED_TOKENS:
                self._checked.clear()
            self._checked[token] = claims
        # Expiry is checked against the injected clock, not the system clock.
        if int(claims.expires_at.timestamp()) <= int(self.clock.now().timestamp()):
            raise Unauthorized(
                Code.TOKEN_EXPIRED, "The access token has expired; refresh it or log in again."
            )
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=["HS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["sub", "exp", "sid", "typ"],
                },
            )
        except jwt.PyJWTError:
            raise Unauthorized(Code.TOKEN_INVALID, "The access token is not valid.") from None
        if claims.get("typ") != "access":
            raise Unauthorized(Code.TOKEN_INVALID, "This is not an access token.")
        try:
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                role=str(claims["role"]),
                session_id=uuid.UUID(claims["sid"]),
                version=int(claims["ver"]),
                scope=_scope(claims.get("scope")),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
            )
        except (KeyError, ValueError, TypeError):
            raise Unauthorized(Code.TOKEN_INVALID, "The access token is not valid.") from None


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_refresh_token(token: str) -> tuple[uuid.UUID, str]:
    session_part, _, secret = token.partition(".")
    try:
        return uuid.UUID(session_part), secret
    except ValueError:
        raise Unauthorized(Code.TOKEN_INVALID, "The refresh token is not valid.") from None


def _scope(claimed: object) -> Scope:
    for scope in SCOPES:
        if claimed == scope:
            return scope
    return "full"
