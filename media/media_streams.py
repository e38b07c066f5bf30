"""Twilio Media Streams, the WebSocket protocol of `<Connect><Stream>`
(twilio.com/docs/voice/media-streams/websocket-messages).

From the provider, JSON text frames: `connected`, then `start` (`streamSid`, `callSid`,
`tracks`, `mediaFormat` `{encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1}`,
`customParameters`: our `<Parameter>`s), then `media` (`media.payload`: base64 μ-law, 20 ms a
frame; `media.timestamp`: milliseconds since the stream began, as a string), `dtmf`, `mark`
(a mark we sent, echoed when the audio before it has played) and at the end `stop`.

Towards the provider: `media` (`{"payload": ...}`), `mark` (`{"name": ...}`) and `clear`.

`read` turns a frame into one of the dataclasses below, or raises `Malformed`; it never trusts
a field it has not checked (a frame is at most MAX_FRAME bytes, enforced by the WebSocket).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

# A 20 ms media frame is about 300 bytes; a start with our ticket about 1 KB.
MAX_FRAME = 16 * 1024
# The most audio one media frame may carry (Twilio sends 20 ms; a second is plenty).
MAX_PAYLOAD = 8000
ENCODING, RATE, CHANNELS = "audio/x-mulaw", 8000, 1


class Malformed(ValueError):
    """A frame that is not a valid Media Streams message (the text says what is wrong)."""


@dataclass(frozen=True)
class Connected:
    pass


@dataclass(frozen=True)
class Start:
    stream_sid: str
    call_sid: str
    parameters: dict[str, str]


@dataclass(frozen=True)
class Media:
    stream_sid: str
    timestamp_ms: int
    payload: bytes  # μ-law


@dataclass(frozen=True)
class Dtmf:
    stream_sid: str
    digit: str


@dataclass(frozen=True)
class Mark:
    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    stream_sid: str


Message = Connected | Start | Media | Dtmf | Mark | Stop


def read(text: str) -> Message:
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Malformed("not JSON") from None
    if not isinstance(frame, dict):
        raise Malformed("not a JSON object")
    event = frame.get("event")
    if event == "media":
        body = _object(frame, "media")
        try:
            payload = base64.b64decode(_text(body, "payload", MAX_PAYLOAD * 2), validate=True)
        except binascii.Error:
            raise Malformed("media.payload is not base64") from None
        if not payload or len(payload) > MAX_PAYLOAD:
            raise Malformed(f"media.payload must hold 1 to {MAX_PAYLOAD} bytes")
        if body.get("track", "inbound") not in ("inbound", "inbound_track"):
            raise Malformed("media.track must be the inbound track")
        return Media(_sid(frame), _number(body, "timestamp"), payload)
    if event == "start":
        body = _object(frame, "start")
        media_format = _object(body, "mediaFormat")
        heard = (
            media_format.get("encoding"),
            _number(media_format, "sampleRate"),
            _number(media_format, "channels"),
        )
        if heard != (ENCODING, RATE, CHANNELS):
            raise Malformed(f"start.mediaFormat must be {ENCODING} at {RATE} Hz, mono")
        raw = body.get("customParameters", {})
        if not isinstance(raw, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) + len(v) <= 500
            for k, v in raw.items()
        ):
            raise Malformed("start.customParameters must map names to short strings")
        return Start(_sid(frame), _text(body, "callSid", 64), dict(raw))
    if event == "connected":
        return Connected()
    if event == "dtmf":
        digit = _text(_object(frame, "dtmf"), "digit", 1)
        if digit not in "0123456789*#":
            raise Malformed("dtmf.digit must be a key of a telephone")
        return Dtmf(_sid(frame), digit)
    if event == "mark":
        return Mark(_sid(frame), _text(_object(frame, "mark"), "name", 64))
    if event == "stop":
        return Stop(_sid(frame))
    raise Malformed("event must be connected, start, media, dtmf, mark or stop")


def media(stream_sid: str, payload: bytes) -> str:
    """Audio for the caller (μ-law, 8 kHz)."""
    encoded = base64.b64encode(payload).decode()
    return f'{{"event":"media","streamSid":"{stream_sid}","media":{{"payload":"{encoded}"}}}}'


def mark(stream_sid: str, name: str) -> str:
    """Echoed back by the provider when the audio sent before it has played."""
    return orjson.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}}).decode()


def clear(stream_sid: str) -> str:
    """Drop the audio the provider holds and has not played yet."""
    return orjson.dumps({"event": "clear", "streamSid": stream_sid}).decode()


def _object(frame: dict[str, Any], name: str) -> dict[str, Any]:
    value = frame.get(name)
    if not isinstance(value, dict):
        raise Malformed(f"{name} must be an object")
    return value


def _text(frame: dict[str, Any], name: str, longest: int) -> str:
    value = frame.get(name)
    if not isinstance(value, str) or not value or len(value) > longest:
        raise Malformed(f"{name} must be a string of 1 to {longest} characters")
    return value


def _sid(frame: dict[str, Any]) -> str:
    sid = _text(frame, "streamSid", 64)
    if not sid.isascii() or not sid.isalnum():
        raise Malformed("streamSid must be letters and digits")
    return sid


def _number(frame: dict[str, Any], name: str) -> int:
    """Twilio sends numbers as strings ("8000"); both are taken."""
    value = frame.get(name)
    if isinstance(value, bool):
        raise Malformed(f"{name} must be a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    raise Malformed(f"{name} must be a number")
