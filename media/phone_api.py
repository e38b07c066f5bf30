"""The telephony webhooks (docs/phone.md): a caller dials PHONE_NUMBER, Twilio posts the call
to `POST /api/phone/voice`, we ask for the session PIN (`<Gather input="dtmf">`), Twilio posts
the keys to `POST /api/phone/voice/pin`, and a PIN of a session whose room is open is
connected to the two-way media stream (`<Connect><Stream>`, a signed ticket as its
`<Parameter>`). Every request is checked with X-Twilio-Signature against the URL Twilio
signed (PUBLIC_URL and the path); a bad one is 403 and changes nothing. Three wrong PINs end
the call politely. The PIN and the caller's number are never logged."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web

from booking.services.phone_pins import PhonePins
from media.phone import (
    GOODBYE_WRONG_PIN,
    MAX_PIN_ATTEMPTS,
    TICKET_SECONDS,
    PhoneProvider,
    stream_ticket,
)
from realtime.clock import Clock
from realtime.errors import AppError, Code, Forbidden, NotFound
from realtime.http import ApiRoutes, NoInput

log = logging.getLogger(__name__)

routes = ApiRoutes(tag="phone")


class Telephony:
    """What the webhooks need: the provider, the PINs, where the stream is, the ticket key."""

    def __init__(
        self,
        provider: PhoneProvider | None,
        pins: PhonePins,
        public_url: str,
        ticket_key: bytes,
        clock: Clock,
    ) -> None:
        self.provider = provider
        self.pins = pins
        self.public_url = public_url.rstrip("/")
        self.ticket_key = ticket_key
        self.clock = clock

    def stream_url(self) -> str:
        scheme = "wss" if self.public_url.startswith("https:") else "ws"
        return f"{scheme}://{self.public_url.split('://', 1)[1]}/phone/stream"


TELEPHONY = web.AppKey("telephony", Telephony)

NOT_OPEN = (
    "Your session room is not open now. You can call from ten minutes before the start. Goodbye."
)
OVER = "This session has ended. Goodbye."


async def _verified(request: web.Request) -> tuple[Telephony, PhoneProvider, Mapping[str, str]]:
    telephony = request.app[TELEPHONY]
    if telephony.provider is None:
        raise NotFound(Code.NOT_FOUND, "Dial-in is not enabled on this server.")
    form = await request.post()
    params = {key: str(value) for key, value in form.items()}
    url = telephony.public_url + request.path_qs
    if not telephony.provider.verify(url, params, request.headers.get("X-Twilio-Signature", "")):
        raise Forbidden(Code.WEBHOOK_SIGNATURE_INVALID, "The X-Twilio-Signature is not valid.")
    return telephony, telephony.provider, params


def _twiml(document: str) -> web.Response:
    return web.Response(text=document, content_type="text/xml", charset="utf-8")


def _pin_url(telephony: Telephony, attempt: int) -> str:
    return f"{telephony.public_url}/api/phone/voice/pin?attempt={attempt}"


@routes.post(
    "/api/phone/voice",
    summary="Twilio's incoming-call webhook: ask for the session PIN",
    input=NoInput,
    responses={200: "TwiML"},
    access="public",
    errors=(403, 404),
    streamed=True,
)
async def voice(request: web.Request, _: NoInput | None) -> web.StreamResponse:
    """Form-encoded as Twilio posts it, signed (X-Twilio-Signature): answers TwiML that asks
    for the 6-digit PIN and posts the keys to `/api/phone/voice/pin`."""
    telephony, provider, _params = await _verified(request)
    return _twiml(provider.ask_pin(_pin_url(telephony, 1), attempt=1))


@routes.post(
    "/api/phone/voice/pin",
    summary="Twilio's webhook with the keys typed: connect the call, ask again, or hang up",
    input=NoInput,
    responses={200: "TwiML"},
    access="public",
    errors=(403, 404),
    streamed=True,
)
async def pin(request: web.Request, _: NoInput | None) -> web.StreamResponse:
    """`Digits` (the keys), signed. The PIN of a session whose room is open now connects the
    call to the media stream; a wrong one asks again, up to 3 tries; a room that is not open
    says so and hangs up."""
    telephony, provider, params = await _verified(request)
    raw_attempt = request.query.get("attempt", "1")
    attempt = int(raw_attempt) if raw_attempt.isdigit() else MAX_PIN_ATTEMPTS
    try:
        admitted = await telephony.pins.admit(params.get("Digits", ""))
    except AppError as refused:
        log.info("phone: a PIN for a room that is not open (%s)", refused.code)
        return _twiml(provider.refuse(OVER if refused.code == Code.SESSION_OVER else NOT_OPEN))
    if admitted is None:
        if attempt >= MAX_PIN_ATTEMPTS:
            log.info("phone: a call ended after %d wrong PINs", attempt)
            return _twiml(provider.refuse(GOODBYE_WRONG_PIN))
        return _twiml(provider.ask_pin(_pin_url(telephony, attempt + 1), attempt=attempt + 1))
    booking_id = str(admitted.admission.booking_id)
    ticket = stream_ticket(
        telephony.ticket_key,
        booking_id,
        str(admitted.user_id),
        int(telephony.clock.now().timestamp()) + TICKET_SECONDS,
    )
    log.info("phone: a caller admitted to booking %s", booking_id)
    return _twiml(provider.connect(telephony.stream_url(), {"ticket": ticket}))
