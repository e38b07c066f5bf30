"""The accounts API for email verification and passwords: verify, resend, forgot, reset, change.

`docs/auth.md` describes the flows; `recovery.py` holds their rules.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated

from aiohttp import web
from pydantic import Field

from realtime.auth.access import require
from realtime.auth.api import ACCOUNTS, Password, Verbatim, address
from realtime.auth.identifiers import normalise_email
from realtime.auth.models import User
from realtime.auth.service import check_new_password
from realtime.http import ApiRoutes, Input, NoInput, Output, respond

routes = ApiRoutes(tag="auth")

LinkToken = Annotated[str, Field(min_length=1, max_length=100, description="From the emailed link")]


class VerifyEmailIn(Input):
    token: LinkToken


class ForgotPasswordIn(Input):
    email: Annotated[str, Field(max_length=254)]


class ResetPasswordIn(Verbatim):
    token: LinkToken
    password: Password


class ChangePasswordIn(Verbatim):
    current_password: Annotated[str, Field(max_length=128)]
    new_password: Password


class AcceptedOut(Output):
    message: str


@routes.post(
    "/api/auth/verify-email",
    summary="Confirm an email address with the token of the emailed link",
    input=VerifyEmailIn,
    responses={204: None},
    access="public",
    errors=(400,),
)
async def verify_email(request: web.Request, body: VerifyEmailIn) -> web.StreamResponse:
    """The link works once, for EMAIL_VERIFY_HOURS; 400 `link_invalid` otherwise."""
    await request.app[ACCOUNTS].recovery.verify_email(body.token)
    return respond(None)


@routes.post(
    "/api/auth/verify-email/resend",
    summary="Send the caller a new verification link",
    input=NoInput,
    responses={204: None},
    errors=(409, 429),
)
async def resend_verification(request: web.Request, _: NoInput) -> web.StreamResponse:
    """Earlier links stop working. 409 `email_already_verified` once confirmed."""
    principal = await require(request, allow_setup_scope=True)
    accounts = request.app[ACCOUNTS]
    await accounts.limiter.attempt_from(address(request, accounts))
    await accounts.recovery.resend_verification(principal.user_id)
    return respond(None)


@routes.post(
    "/api/auth/password/forgot",
    summary="Email a password-reset link",
    input=ForgotPasswordIn,
    responses={202: AcceptedOut},
    access="public",
    errors=(429,),
)
async def forgot_password(request: web.Request, body: ForgotPasswordIn) -> web.StreamResponse:
    """Answers 202 whether or not the address has an account; only an account is emailed.
    Counted against the address's login attempts."""
    accounts = request.app[ACCOUNTS]
    await accounts.limiter.attempt_from(address(request, accounts))
    with contextlib.suppress(ValueError):  # not an address: matches no account, answered alike
        await accounts.recovery.forgot_password(normalise_email(body.email))
    return respond(
        AcceptedOut(message="If an account has this address, a reset link is on its way."),
        status=202,
    )


@routes.post(
    "/api/auth/password/reset",
    summary="Choose a new password with the token of the emailed link",
    input=ResetPasswordIn,
    responses={204: None},
    access="public",
    errors=(400, 422),
)
async def reset_password(request: web.Request, body: ResetPasswordIn) -> web.StreamResponse:
    """The link works once, for PASSWORD_RESET_MINUTES. Every session of the account ends."""
    accounts = request.app[ACCOUNTS]
    await accounts.recovery.reset_password(
        body.token, body.password, _strong(body.password, accounts.settings.password_min_score)
    )
    return respond(None)


@routes.post(
    "/api/auth/password/change",
    summary="Change the password (the current one is needed)",
    input=ChangePasswordIn,
    responses={204: None},
    errors=(403, 422),
)
async def change_password(request: web.Request, body: ChangePasswordIn) -> web.StreamResponse:
    """Every other login session of the account ends; this one goes on."""
    principal = await require(request, allow_setup_scope=True)
    accounts = request.app[ACCOUNTS]
    await accounts.recovery.change_password(
        principal.user_id,
        principal.session_id,
        body.current_password,
        body.new_password,
        _strong(body.new_password, accounts.settings.password_min_score),
    )
    return respond(None)


def _strong(password: str, min_score: int) -> Callable[[User], None]:
    """The check a new password of `user` must pass (strength, not the email)."""

    def check(user: User) -> None:
        check_new_password(password, min_score, user.email, user.display_name)

    return check
