"""The accounts API: register, log in, refresh, log out, the caller's profile, two-factor login
(email verification and passwords are in `recovery_api.py`).

`docs/auth.md` describes the flow; the OpenAPI document is built from the declarations below.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from aiohttp import web
from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from realtime.addresses import client_address
from realtime.auth.access import require
from realtime.auth.identifiers import check_display_name, normalise_email
from realtime.auth.models import Role
from realtime.auth.service import Accounts, LoggedIn, NewAccount, check_time_zone
from realtime.errors import Code, Unauthorized
from realtime.http import ApiRoutes, Input, NoInput, Output, respond, uuid_param
from realtime.limits import LIMITER, Kind

ACCOUNTS = web.AppKey("accounts", Accounts)

routes = ApiRoutes(tag="auth")

# The web client's refresh token lives in this cookie: HttpOnly (no script reads it), SameSite
# Strict and scoped to the auth routes (sent on nothing else), Secure in production (TLS ends in
# front of us). The access token stays in the page's memory. A refresh by cookie must carry
# REFRESH_HEADER too: a cross-site page cannot add a custom header without a CORS preflight,
# which this server never grants, so SameSite is not the only guard against forged refreshes.
REFRESH_COOKIE = "flourish_refresh"
REFRESH_HEADER = "X-Flourish-Refresh"
_COOKIE_PATH = "/api/auth"
# Beside it, a cookie scripts may read that holds no secret, only that this browser has a login,
# so a page of a visitor who never logged in does not ask for a refresh it would be refused.
LOGIN_MARKER = "flourish_login"

_TWO_FACTOR_ROLES = (Role.COACH, Role.ADMIN)


def _rule(check: Callable[[str], str]) -> AfterValidator:
    """A field validator from one of the account rules, keeping the rule's own message."""

    def run(value: str) -> str:
        try:
            return check(value)
        except ValueError as exc:
            raise PydanticCustomError("invalid", str(exc)) from None

    return AfterValidator(run)


Email = Annotated[str, Field(max_length=254, examples=["ann@example.org"]), _rule(normalise_email)]
Password = Annotated[str, Field(min_length=12, max_length=128)]
DisplayName = Annotated[str, Field(min_length=1, max_length=120), _rule(check_display_name)]
TimeZone = Annotated[str, Field(max_length=64, examples=["Europe/Paris"]), _rule(check_time_zone)]
OtpCode = Annotated[str, Field(min_length=1, max_length=32, examples=["123456"])]


class Verbatim(Input):
    # Passwords are taken exactly as typed: stripping would change them.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class RegisterIn(Verbatim):
    email: Email
    password: Password
    display_name: DisplayName
    role: Literal["client", "coach"] = "client"
    time_zone: TimeZone = "UTC"


class LoginIn(Verbatim):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=128)]
    otp: OtpCode | None = Field(
        default=None, description="TOTP code or recovery code, for accounts with two-factor login"
    )


class RefreshIn(Input):
    refresh_token: Annotated[str, Field(max_length=200)] | None = Field(
        None,
        description="The refresh token; the web client sends none and relies on the "
        f"`{REFRESH_COOKIE}` cookie instead (with the `{REFRESH_HEADER}` header).",
    )


class UpdateMeIn(Input):
    display_name: DisplayName | None = None
    time_zone: TimeZone | None = None


class CodeIn(Input):
    code: OtpCode


class DisableIn(Verbatim):
    password: Annotated[str, Field(max_length=128)]
    code: OtpCode


class UserOut(Output):
    id: uuid.UUID
    email: str
    role: Role
    display_name: str
    time_zone: str
    two_factor_enabled: bool
    email_verified: bool = Field(description="Whether the address was confirmed (to book)")
    created_at: datetime


class RegisteredOut(Output):
    email: str = Field(description="The address as stored (normalised)")
    message: str


class TokensOut(Output):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds the access token lives")
    refresh_token: str | None = Field(
        description="The refresh token; null when the request carried `X-Flourish-Refresh: 1` "
        "(the web client), which gets it only as the HttpOnly `flourish_refresh` cookie, out "
        "of its scripts' reach."
    )
    refresh_expires_at: datetime = Field(description="When the login session ends at the latest")
    scope: Literal["full", "two_factor_setup"]


class LoggedInOut(Output):
    user: UserOut
    tokens: TokensOut
    two_factor_setup_required: bool


class TwoFactorSetupOut(Output):
    secret: str = Field(description="Base32 TOTP secret, for typing into an authenticator app")
    otpauth_uri: str = Field(description="The same secret as an otpauth:// URI, for a QR code")


class RecoveryCodesOut(Output):
    recovery_codes: list[str] = Field(description="Shown once; each works once in place of a code")


def _user_agent(request: web.Request) -> str:
    return request.headers.get("User-Agent", "")[:200]


@routes.post(
    "/api/auth/register",
    summary="Create a client or coach account; a verification email follows",
    input=RegisterIn,
    responses={202: RegisteredOut},
    access="public",
    errors=(422, 429),
)
async def register(request: web.Request, body: RegisterIn) -> web.StreamResponse:
    """Admins are made with `flourish create-admin`, never here. An address that has an account
    gets the very same answer (its owner is emailed instead), so the answer never tells who
    has an account. Log in afterwards; holding a slot waits for the verification link. More
    than REGISTRATIONS_PER_ADDRESS from one address in REGISTRATION_WINDOW is a 429."""
    accounts = request.app[ACCOUNTS]
    new = NewAccount.check(
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        role=Role(body.role),
        time_zone=body.time_zone,
        min_score=accounts.settings.password_min_score,
    )
    limiter = request.app[LIMITER]
    await limiter.count((Kind.REGISTER_ADDRESS, limiter.address(request)))
    await accounts.register(new)
    return respond(
        RegisteredOut(
            email=new.email,
            message="Check your email for a link to confirm your address, then log in.",
        ),
        status=202,
    )


def address(request: web.Request, accounts: Accounts) -> str:
    """The caller's address, as the login limits count it."""
    return client_address(request, accounts.settings.trusted_proxies)


@routes.post(
    "/api/auth/login",
    summary="Log in with email, password and, if on, a second factor",
    input=LoginIn,
    responses={200: LoggedInOut},
    access="public",
    errors=(401, 429),
)
async def login(request: web.Request, body: LoginIn) -> web.StreamResponse:
    """Wrong email and wrong password give the same 401 `invalid_credentials`. Rate-limited per
    account and per address (429 with `Retry-After`)."""
    accounts = request.app[ACCOUNTS]
    logged_in = await accounts.login(
        email=body.email,
        password=body.password,
        otp=body.otp,
        address=address(request, accounts),
        user_agent=_user_agent(request),
    )
    return _logged_in(request, logged_in, accounts)


def _logged_in(request: web.Request, logged_in: LoggedIn, accounts: Accounts) -> web.Response:
    """The answer to a login or refresh, setting the refresh cookie to the new refresh token;
    the web client (REFRESH_HEADER) gets it in the cookie only."""
    out = LoggedInOut.model_validate(logged_in)
    if request.headers.get(REFRESH_HEADER) == "1":
        out.tokens.refresh_token = None
    response = respond(out)
    response.set_cookie(
        REFRESH_COOKIE,
        logged_in.tokens.refresh_token,
        max_age=accounts.settings.refresh_token_ttl,
        path=_COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=accounts.settings.production,
    )
    response.set_cookie(
        LOGIN_MARKER,
        "1",
        max_age=accounts.settings.refresh_token_ttl,
        path="/",
        samesite="Strict",
        secure=accounts.settings.production,
    )
    return response


def _without_cookie(response: web.Response, accounts: Accounts) -> web.Response:
    secure = accounts.settings.production
    response.del_cookie(REFRESH_COOKIE, path=_COOKIE_PATH, secure=secure, samesite="Strict")
    response.del_cookie(LOGIN_MARKER, path="/", secure=secure, samesite="Strict")
    return response


@routes.post(
    "/api/auth/refresh",
    summary="Trade a refresh token for a new token pair",
    input=RefreshIn,
    responses={200: LoggedInOut},
    access="public",
    errors=(401,),
)
async def refresh(request: web.Request, body: RefreshIn) -> web.StreamResponse:
    """The refresh token given (in the body, or in the `flourish_refresh` cookie with an
    `X-Flourish-Refresh: 1` header) stops working; presenting it again ends the whole
    session. The answer sets the cookie to the new refresh token."""
    accounts = request.app[ACCOUNTS]
    token = body.refresh_token
    if token is None:
        token = request.cookies.get(REFRESH_COOKIE)
        if token is None or request.headers.get(REFRESH_HEADER) != "1":
            raise Unauthorized(
                Code.TOKEN_INVALID,
                "No refresh token: send refresh_token, or the login cookie with the "
                f"{REFRESH_HEADER}: 1 header.",
            )
    if len(token) > 200:
        raise Unauthorized(Code.TOKEN_INVALID, "The refresh token is not valid.")
    logged_in = await accounts.refresh(token, user_agent=_user_agent(request))
    return _logged_in(request, logged_in, accounts)


@routes.post(
    "/api/auth/logout", summary="End this login session", input=NoInput, responses={204: None}
)
async def logout(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Its refresh token stops working; the access token lives out its short life."""
    principal = await require(request, allow_setup_scope=True)
    accounts = request.app[ACCOUNTS]
    await accounts.logout(principal.user_id, principal.session_id)
    return _without_cookie(respond(None), accounts)


@routes.post(
    "/api/auth/logout-all",
    summary="End every login session of this account",
    input=NoInput,
    responses={204: None},
)
async def logout_all(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Every refresh token and every access token of the account stops working at once."""
    principal = await require(request, allow_setup_scope=True)
    accounts = request.app[ACCOUNTS]
    await accounts.logout_all(principal.user_id)
    return _without_cookie(respond(None), accounts)


@routes.get("/api/me", summary="The caller's account", input=NoInput, responses={200: UserOut})
async def get_me(request: web.Request, _: NoInput) -> web.StreamResponse:
    principal = await require(request, allow_setup_scope=True)
    user = await request.app[ACCOUNTS].me(principal.user_id)
    return respond(UserOut.model_validate(user))


@routes.patch(
    "/api/me",
    summary="Change the caller's name or time zone",
    input=UpdateMeIn,
    responses={200: UserOut},
)
async def update_me(request: web.Request, body: UpdateMeIn) -> web.StreamResponse:
    principal = await require(request)
    user = await request.app[ACCOUNTS].update_me(
        principal.user_id, display_name=body.display_name, time_zone=body.time_zone
    )
    return respond(UserOut.model_validate(user))


@routes.post(
    "/api/auth/2fa/setup",
    summary="Start two-factor login: a new TOTP secret (coach or admin)",
    input=NoInput,
    responses={200: TwoFactorSetupOut},
    access="coach",
    errors=(409,),
)
async def setup_two_factor(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Coaches and admins only. Not in force until `/api/auth/2fa/enable`."""
    principal = await require(request, *_TWO_FACTOR_ROLES, allow_setup_scope=True)
    provisioning = await request.app[ACCOUNTS].two_factor.setup(principal.user_id)
    return respond(TwoFactorSetupOut.model_validate(provisioning))


@routes.post(
    "/api/auth/2fa/enable",
    summary="Turn two-factor login on with a first code (coach or admin)",
    input=CodeIn,
    responses={200: RecoveryCodesOut},
    access="coach",
    errors=(409,),
)
async def enable_two_factor(request: web.Request, body: CodeIn) -> web.StreamResponse:
    """Answers ten recovery codes, shown this once. Refresh afterwards for a full-scope token."""
    principal = await require(request, *_TWO_FACTOR_ROLES, allow_setup_scope=True)
    codes = await request.app[ACCOUNTS].two_factor.enable(principal.user_id, body.code)
    return respond(RecoveryCodesOut(recovery_codes=codes))


@routes.post(
    "/api/auth/2fa/disable",
    summary="Turn two-factor login off (coach or admin; refused in production)",
    input=DisableIn,
    responses={204: None},
    access="coach",
    errors=(409, 429),
)
async def disable_two_factor(request: web.Request, body: DisableIn) -> web.StreamResponse:
    """Needs the password and a code. Production requires two-factor login, so refuses this."""
    principal = await require(request, *_TWO_FACTOR_ROLES)
    await request.app[ACCOUNTS].two_factor.disable(principal.user_id, body.password, body.code)
    return respond(None)


@routes.post(
    "/api/auth/2fa/recovery-codes",
    summary="Replace the recovery codes (coach or admin)",
    input=CodeIn,
    responses={200: RecoveryCodesOut},
    access="coach",
    errors=(409, 429),
)
async def new_recovery_codes(request: web.Request, body: CodeIn) -> web.StreamResponse:
    """Needs a code; the old recovery codes stop working."""
    principal = await require(request, *_TWO_FACTOR_ROLES)
    codes = await request.app[ACCOUNTS].two_factor.new_recovery_codes(principal.user_id, body.code)
    return respond(RecoveryCodesOut(recovery_codes=codes))


@routes.post(
    "/api/admin/users/{id}/disable",
    summary="Disable an account (admin)",
    input=NoInput,
    responses={204: None},
    access="admin",
    errors=(404, 409),
)
async def disable_account(request: web.Request, _: NoInput) -> web.StreamResponse:
    """The account can no longer log in or refresh; every token it holds stops working and its
    sockets are disconnected at once on every server process. 404 `user_not_found`; 409
    `cannot_disable_self`. Disabling a disabled account is harmless."""
    principal = await require(request, Role.ADMIN)
    await request.app[ACCOUNTS].disable(principal.user_id, uuid_param(request))
    return respond(None)


@routes.post(
    "/api/admin/users/{id}/enable",
    summary="Enable a disabled account again (admin)",
    input=NoInput,
    responses={204: None},
    access="admin",
    errors=(404,),
)
async def enable_account(request: web.Request, _: NoInput) -> web.StreamResponse:
    """The account may log in again; the sessions ended when it was disabled stay ended."""
    principal = await require(request, Role.ADMIN)
    await request.app[ACCOUNTS].enable(principal.user_id, uuid_param(request))
    return respond(None)
