"""A coach in Chromium hears a caller on the telephone: the caller (a stand-in speaking
Twilio's side of Media Streams, tests/media/twilio_streams.py, in a thread of its own) types
the client's PIN and sends a 440 Hz tone; the coach's room says the client is on the phone,
and the coach's browser hears 440 Hz (Web Audio's analyser on the remote stream). The caller
hears the coach's microphone (Chromium's fake device) back."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import urllib.parse
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from twilio.request_validator import RequestValidator

from media.dialer import TwilioCall
from realtime.demo import CLIENT_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import PHONE_NUMBER, OpenPage, log_in, shot
from tests.browser.sessions import open_session
from tests.browser.test_room import connected, enter, post, rising
from tests.media.twilio_streams import loudness, tone
from tests.realtime.test_cli import Server

TWILIO_TOKEN = "browser-tests-twilio-auth-token"  # the server fixture's TWILIO_AUTH_TOKEN

# The dominant frequency of the coach's remote audio, by Web Audio's analyser.
DOMINANT = """async () => {
  const audio = document.querySelector("section.room audio");
  const context = new AudioContext();
  await context.resume();
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  context.createMediaStreamSource(audio.srcObject).connect(analyser);
  await new Promise((done) => setTimeout(done, 1500));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = 1;
  for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
  await context.close();
  return { hz: (best * context.sampleRate) / analyser.fftSize, db: bins[best] };
}"""


def ticket(base_url: str, booking_id: str) -> str:
    """The client's PIN from the app, typed into Twilio's webhook: the stream's ticket."""
    login = post(base_url, "/api/auth/login", {"email": CLIENT_EMAIL, "password": DEMO_PASSWORD})
    request = urllib.request.Request(
        f"{base_url}/api/bookings/{booking_id}/phone",
        headers={"Authorization": f"Bearer {login['tokens']['access_token']}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        pin = json.loads(response.read())["pin"]
    url = f"{base_url}/api/phone/voice/pin?attempt=1"
    form = {"CallSid": "CA" + "7" * 32, "From": "+447700900555", "To": PHONE_NUMBER, "Digits": pin}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        twiml = response.read().decode()
    return str(twiml.split('name="ticket" value="')[1].split('"')[0])


class Caller(threading.Thread):
    """The call, on an event loop of its own: 440 Hz for `seconds`, then a hang-up."""

    def __init__(self, base_url: str, ticket: str, seconds: float) -> None:
        super().__init__(daemon=True)
        self.base_url, self.ticket, self.seconds = base_url, ticket, seconds
        self.heard = b""
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self.call())
        except BaseException as failure:  # reported by the test
            self.failure = failure

    async def call(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://") + "/phone/stream"
        call = TwilioCall(ws_url, ws_url, TWILIO_TOKEN)
        try:
            await call.open()
            await call.start({"ticket": self.ticket})
            call.speak(tone(440, self.seconds))
            await asyncio.sleep(self.seconds)
            self.heard = bytes(call.heard)
            await call.stop()
        finally:
            await call.close()


def dominant_heard(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(DOMINANT)
    return result


@pytest.mark.timeout(120)
def test_a_coach_in_chromium_hears_the_caller_on_the_telephone(
    open_page: OpenPage, server: Server, base_url: str
) -> None:
    session = open_session(server.log.parent, "phone", coach_number=9)
    coach = open_page("coach")
    log_in(coach, session.coach_email, then="/coach")
    enter(coach, session.booking_id, "Check microphone")
    expect(coach.locator("section.room")).to_have_attribute("data-state", "waiting")

    caller = Caller(base_url, ticket(base_url, session.booking_id), seconds=25)
    caller.start()
    connected(coach)
    expect(coach.locator(".via-phone")).to_have_text(
        re.compile(r"^.+ is on the phone \(audio only, no chat\)$")
    )
    expect(coach.locator(".stage")).to_have_attribute("data-peer-via", "phone")
    rising(coach, "audio")
    heard = dominant_heard(coach)
    assert abs(heard["hz"] - 440) < 15, heard  # the caller's tone, through the bridge
    shot(coach, "room-coach-with-a-caller")

    caller.join(timeout=40)
    assert caller.failure is None, caller.failure
    # Chromium's fake microphone beeps: the caller heard the coach's side too.
    assert loudness(caller.heard) > 100
    # The caller hung up: the coach's room says so after the grace period, or shows waiting.
    expect(coach.locator("section.room")).to_have_attribute("data-state", "waiting", timeout=40_000)
