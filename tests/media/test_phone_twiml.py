"""The phone provider's TwiML and signature checks, against the `twilio` package's own builders
and `RequestValidator` with a known token (Twilio itself cannot run here)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Connect, Gather, VoiceResponse

from media.phone import (
    CONNECTING,
    GOODBYE_WRONG_PIN,
    RETRY,
    WELCOME,
    TwilioProvider,
    caller_digest,
    is_pin,
    new_pin,
    pin_digest,
    pin_key,
)
from realtime.settings import SettingsError, load

TOKEN = "12345678901234567890123456789012"
URL = "https://flourish.example.org/api/phone/voice"
PARAMS = {"CallSid": "CA1234567890ABCDE", "From": "+14155550100", "Digits": "123456"}


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented scheme, written out: HMAC-SHA1 over the URL and sorted name+value."""
    data = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_a_signature_made_by_twilio_s_scheme_verifies() -> None:
    signature = twilio_signature(TOKEN, URL, PARAMS)
    assert RequestValidator(TOKEN).validate(URL, PARAMS, signature)
    assert TwilioProvider(TOKEN).verify(URL, PARAMS, signature)


@pytest.mark.parametrize(
    "change",
    ["token", "url", "param", "missing"],
)
def test_a_wrong_signature_is_refused(change: str) -> None:
    token, url, params = TOKEN, URL, dict(PARAMS)
    if change == "token":
        token = "x" * 32
    elif change == "url":
        url = URL + "?booking=1"
    elif change == "param":
        params = {**PARAMS, "Digits": "000000"}
    signature = "" if change == "missing" else twilio_signature(token, url, params)
    assert not TwilioProvider(TOKEN).verify(URL, PARAMS, signature)


def test_asking_for_the_pin_is_a_dtmf_gather_posting_to_the_action() -> None:
    action = "https://flourish.example.org/api/phone/gather?attempt=1"
    expected = VoiceResponse()
    gather = Gather(
        input="dtmf", num_digits=6, finish_on_key="#", action=action, method="POST", timeout=10
    )
    gather.say(WELCOME)
    expected.append(gather)
    expected.redirect(action, method="POST")
    assert TwilioProvider(TOKEN).ask_pin(action, attempt=1) == str(expected)
    again = TwilioProvider(TOKEN).ask_pin(action, attempt=2)
    assert RETRY in again
    assert WELCOME not in again
    assert 'input="dtmf"' in again
    assert 'finishOnKey="#"' in again


def test_refusing_says_goodbye_and_hangs_up() -> None:
    expected = VoiceResponse()
    expected.say(GOODBYE_WRONG_PIN)
    expected.hangup()
    assert TwilioProvider(TOKEN).refuse(GOODBYE_WRONG_PIN) == str(expected)


def test_connecting_streams_with_the_booking_as_a_parameter() -> None:
    url = "wss://flourish.example.org/phone/stream"
    expected = VoiceResponse()
    expected.say(CONNECTING)
    connect = Connect()
    stream = connect.stream(url=url)
    stream.parameter(name="booking", value="42")
    expected.append(connect)
    twiml = TwilioProvider(TOKEN).connect(url, {"booking": "42"})
    assert twiml == str(expected)
    assert '<Parameter name="booking" value="42" />' in twiml


def test_pins_are_six_digits_and_stored_only_as_keyed_hashes() -> None:
    pins = {new_pin() for _ in range(200)}
    assert all(is_pin(pin) for pin in pins)
    assert len(pins) > 150
    key = pin_key("secret-a" * 4)
    digest = pin_digest(key, "123456")
    assert "123456" not in digest
    assert digest == pin_digest(key, "123456")
    assert digest != pin_digest(pin_key("secret-b" * 4), "123456")
    assert not is_pin("12345")
    assert not is_pin("12345a")
    assert not is_pin("١٢٣٤٥٦")  # Arabic-Indic digits are str.isdigit() but not keypad keys
    assert caller_digest(b"s1", "+14155550100") != caller_digest(b"s2", "+14155550100")


def test_phone_settings_are_validated(tmp_path: Path) -> None:
    assert not load({}, var_dir=tmp_path).phone_enabled
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN"):
        load({"PHONE_ENABLED": "true"}, var_dir=tmp_path)
    with pytest.raises(SettingsError, match="PHONE_NUMBER"):
        load({"PHONE_NUMBER": "555-0100"}, var_dir=tmp_path)
    loaded = load(
        {"PHONE_ENABLED": "true", "TWILIO_AUTH_TOKEN": TOKEN, "PHONE_NUMBER": "+14155550100"},
        var_dir=tmp_path,
    )
    assert loaded.phone_enabled
    assert loaded.phone_number == "+14155550100"
    assert TOKEN not in repr(loaded)
