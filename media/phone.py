"""The phone provider: what a dial-in call hears (TwiML) and how its requests are trusted.

`PhoneProvider` is the interface the webhook routes and the Media Streams endpoint use; Twilio is
behind it (`TwilioProvider`). TwiML is built with the official `twilio` package (`VoiceResponse`,
`Gather`, `Connect`/`Stream`), and every webhook and the `/phone/stream` WebSocket upgrade is
checked with its `RequestValidator` against the URL the provider signed (PUBLIC_URL, see
`Settings.link_base`).

PINs: the PIN space is small (6 digits), so a PIN is stored only as a keyed hash
(HMAC-SHA256 under a key derived from SECRET_KEY, bound to the booking and participant);
a caller's number only as a salted hash. Neither appears in logs or URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Protocol

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

PIN_DIGITS = 6
MAX_PIN_ATTEMPTS = 3

WELCOME = "Welcome to Flourish. Please enter your session PIN, then press the pound key."
RETRY = "That PIN was not recognised. Please try again."
GOODBYE_WRONG_PIN = "Sorry, that PIN was not recognised. Goodbye."
CONNECTING = "Thank you. Connecting you to your session."


class PhoneProvider(Protocol):
    """A telephony provider: signature checks and the documents its calls follow."""

    def verify(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        """Whether `signature` is the provider's signature of `url` and the POSTed `params`."""
        ...

    def ask_pin(self, action: str, *, attempt: int) -> str:
        """Ask for the PIN; the keys are posted to `action`. `attempt` counts from 1."""
        ...

    def refuse(self, message: str) -> str:
        """Say `message` and hang up."""
        ...

    def connect(self, stream_url: str, parameters: Mapping[str, str]) -> str:
        """Connect the call to a two-way media stream at `stream_url` carrying `parameters`."""
        ...


class TwilioProvider:
    """Twilio Programmable Voice: TwiML documents and `X-Twilio-Signature` checks."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)

    def verify(self, url: str, params: Mapping[str, str], signature: str) -> bool:
        if not signature:
            return False
        return bool(self._validator.validate(url, dict(params), signature))

    def ask_pin(self, action: str, *, attempt: int) -> str:
        response = VoiceResponse()
        gather = Gather(
            input="dtmf",
            num_digits=PIN_DIGITS,
            finish_on_key="#",
            action=action,
            method="POST",
            timeout=10,
        )
        gather.say(WELCOME if attempt <= 1 else RETRY)
        response.append(gather)
        # No keys within the timeout: Twilio falls through to the next verb.
        response.redirect(action, method="POST")
        return str(response)

    def refuse(self, message: str) -> str:
        response = VoiceResponse()
        response.say(message)
        response.hangup()
        return str(response)

    def connect(self, stream_url: str, parameters: Mapping[str, str]) -> str:
        response = VoiceResponse()
        response.say(CONNECTING)
        connect = Connect()
        stream = connect.stream(url=stream_url)
        for name, value in parameters.items():
            stream.parameter(name=name, value=value)
        response.append(connect)
        return str(response)


def new_pin() -> str:
    """A fresh PIN of PIN_DIGITS decimal digits from the OS's CSPRNG."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def pin_key(secret_key: str) -> bytes:
    """The key PINs are hashed under, derived from SECRET_KEY for this purpose only."""
    return hmac.new(secret_key.encode(), b"flourish/phone-pin/v1", hashlib.sha256).digest()


def pin_digest(key: bytes, pin: str) -> str:
    """The keyed hash of a PIN: without the key, the 10^6 PINs cannot be tried offline."""
    return hmac.new(key, pin.encode(), hashlib.sha256).hexdigest()


def caller_digest(salt: bytes, number: str) -> str:
    """A caller's number as a salted hash (for abuse limits); the number is never stored."""
    return hashlib.sha256(salt + number.encode()).hexdigest()


def is_pin(digits: str) -> bool:
    return len(digits) == PIN_DIGITS and digits.isascii() and digits.isdigit()


# A stream ticket: what `<Connect><Stream>` carries as its `<Parameter>`, so that the media
# stream names the participant the PIN admitted without the PIN itself, and cannot be forged or
# replayed after a few minutes (the upgrade is checked with X-Twilio-Signature as well).
TICKET_SECONDS = 120


def ticket_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"flourish/phone-ticket/v1", hashlib.sha256).digest()


def stream_ticket(key: bytes, booking_id: str, user_id: str, expires: int) -> str:
    body = f"{booking_id}.{user_id}.{expires}"
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def read_ticket(key: bytes, ticket: str, now: float) -> tuple[str, str] | None:
    """(booking id, user id) of a genuine, unexpired ticket; None for anything else."""
    parts = ticket.split(".")
    if len(parts) != 4 or not parts[2].isdigit():
        return None
    booking_id, user_id, expires, mac = parts
    good = hmac.new(key, f"{booking_id}.{user_id}.{expires}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, mac) or now > int(expires):
        return None
    return booking_id, user_id
