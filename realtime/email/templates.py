"""The emails we send, in plain text: a subject, a body and the links it carries.

A template's body and subject are `str.format` patterns over its params; its links are paths
under `PUBLIC_URL` whose params are URL-quoted. Without SMTP (the embedded default) only the
links are logged, never the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    links: Mapping[str, str]


@dataclass(frozen=True)
class Message:
    """A rendered email."""

    to: str
    subject: str
    body: str
    links: Mapping[str, str]


_SIGNATURE = "\n\n-- \nFlourish\n"

TEMPLATES: Mapping[str, Template] = {
    "verify_email": Template(
        subject="Confirm your email address",
        body=(
            "Hello {name},\n\nPlease confirm that this is your email address by opening this "
            "link within {hours} hours:\n\n{verify}\n\nYou can log in before that, but you "
            "can book a session only once your address is confirmed. If you did not create a "
            "Flourish account, ignore this email."
        ),
        links={"verify": "/verify-email?token={token}"},
    ),
    "already_registered": Template(
        subject="Someone tried to create an account with your address",
        body=(
            "Hello {name},\n\nSomeone (perhaps you) tried to create a Flourish account with "
            "this email address, which already has one. Nothing was changed.\n\nLog in: "
            "{login}\nForgot your password? {reset}\n\nIf this was not you, you need do "
            "nothing."
        ),
        links={"login": "/login", "reset": "/forgot-password"},
    ),
    "password_reset": Template(
        subject="Reset your password",
        body=(
            "Hello {name},\n\nTo choose a new password, open this link within {minutes} "
            "minutes:\n\n{reset}\n\nThe link works once. Every login session of the account "
            "ends when the password is reset. If you did not ask for this, ignore this email: "
            "your password stays as it is."
        ),
        links={"reset": "/reset-password?token={token}"},
    ),
    "password_changed": Template(
        subject="Your password was changed",
        body=(
            "Hello {name},\n\nThe password of your Flourish account was just changed, and "
            "your other login sessions were ended.\n\nIf this was not you, reset it now: "
            "{reset}"
        ),
        links={"reset": "/forgot-password"},
    ),
    "login_failures": Template(
        subject="Failed logins to your account",
        body=(
            "Hello {name},\n\nThere were {count} failed attempts to log in to your Flourish "
            "account in the last {minutes} minutes. Logins from the addresses that failed are "
            "paused for a while; you can still log in as usual.\n\nIf these were not you, "
            "consider a stronger password: {reset}"
        ),
        links={"reset": "/forgot-password"},
    ),
    # A session reminder names only the time (already in the reader's zone) and links to the
    # session page: never what the session is about, nor the other person's concerns.
    "session_reminder": Template(
        subject="Your Flourish session starts {when}",
        body=(
            "Hello {name},\n\nA reminder: your session starts {when} ({zone}).\n\n"
            "Join it here: {session}\n\nIf you need to reschedule or cancel, you can do "
            "it from the same page."
        ),
        links={"session": "/sessions/{booking_id}"},
    ),
    # A phone session's reminder with dial-in on: the number and the reader's own PIN, which
    # opens the room only inside its join window (docs/phone.md). Not in the subject.
    "session_reminder_phone": Template(
        subject="Your Flourish session starts {when}",
        body=(
            "Hello {name},\n\nA reminder: your session starts {when} ({zone}).\n\n"
            "Join it here: {session}\n\nOr by telephone: call {number} and enter your PIN "
            "{pin}, then press #. The PIN is yours alone and works from ten minutes before "
            "the start.\n\nIf you need to reschedule or cancel, you can do it from the "
            "session page."
        ),
        links={"session": "/sessions/{booking_id}"},
    ),
}


def render(template_name: str, to: str, params: Mapping[str, str], public_url: str) -> Message:
    """The email `template_name` makes from `params`; links are absolute under `public_url`."""
    template = TEMPLATES[template_name]
    quoted = {key: quote(value, safe="") for key, value in params.items()}
    base = public_url.rstrip("/")
    links = {name: base + path.format_map(quoted) for name, path in template.links.items()}
    values = {**params, **links}
    return Message(
        to=to,
        subject=template.subject.format_map(values),
        body=template.body.format_map(values) + _SIGNATURE,
        links=links,
    )
