"""A telephone and its network, for trying the phone bridge without Twilio: `flourish dial-in
PIN` (the demo) and the tests.

`TwilioCall` is Twilio's side of a Media Streams call, as
twilio.com/docs/voice/media-streams/websocket-messages documents it (and Twilio's sample logs in
the twilio/media-streams repository show it): the WebSocket upgrade signed with
`X-Twilio-Signature` over the stream URL (the `twilio` package's `RequestValidator`), text
frames `connected`, `start` (accountSid, streamSid, callSid, tracks, mediaFormat,
customParameters), `media` every 20 ms (track, chunk, timestamp in ms and payload as strings,
base64 μ-law), `dtmf`, `stop`; and, as Twilio does, it plays the `media` we send in real time
and echoes each `mark` once the audio sent before it has played.

`dial` is the call before the stream, as Twilio's voice webhooks make it: the incoming-call
POST, the PIN typed into `<Gather>` posted to its `action`, then `<Connect><Stream>` followed
with the TwiML's own URL and `<Parameter>`s. Twilio itself cannot run here; nothing in the
server depends on this module.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from twilio.request_validator import RequestValidator

from media.audio import level, linear_to_ulaw, ulaw_to_linear

RATE, FRAME = 8000, 160
ACCOUNT, CALL, STREAM = "AC" + "0" * 32, "CA" + "1" * 32, "MZ" + "2" * 32


async def next_loud(heard: bytearray, seconds: float, within: float = 15.0) -> bytes:
    """The next `seconds` of loud audio appended to `heard` (8 kHz s16), silence skipped."""
    want = int(seconds * RATE) * 2

    async def loud() -> bytes:
        while True:
            start = len(heard)
            while len(heard) < start + want:  # noqa: ASYNC110  (a buffer others append to)
                await asyncio.sleep(0.02)
            chunk = bytes(heard[start : start + want])
            if level(chunk) > 1000:
                return chunk

    return await asyncio.wait_for(loud(), within)


class TwilioCall:
    """One call's media stream, as Twilio opens it to `url` (signed for `signed_url`)."""

    def __init__(self, url: str, signed_url: str, auth_token: str) -> None:
        self.url, self.signed_url, self.auth_token = url, signed_url, auth_token
        self.http = aiohttp.ClientSession()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.sequence = 0
        self.chunk = 0
        self.started_at = 0.0
        self.heard = bytearray()  # what the caller heard: s16 at 8 kHz
        self.heard_at: list[tuple[float, int]] = []  # (arrival time, bytes heard so far)
        self.marks: list[str] = []  # echoed, in order
        self.played_until = 0.0
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, *, signature: str | None = None) -> aiohttp.ClientWebSocketResponse:
        if signature is None:
            signature = RequestValidator(self.auth_token).compute_signature(self.signed_url, {})
        self.ws = await self.http.ws_connect(self.url, headers={"X-Twilio-Signature": signature})
        self.tasks.append(asyncio.create_task(self._read()))
        return self.ws

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        self.sequence += 1
        await self.ws.send_str(
            orjson.dumps({**frame, "sequenceNumber": str(self.sequence)}).decode()
        )

    async def start(self, parameters: dict[str, str]) -> None:
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send(
            {
                "event": "start",
                "start": {
                    "accountSid": ACCOUNT,
                    "streamSid": STREAM,
                    "callSid": CALL,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": parameters,
                },
                "streamSid": STREAM,
            }
        )
        self.started_at = asyncio.get_running_loop().time()

    async def media(self, ulaw: bytes) -> None:
        self.chunk += 1
        timestamp = (self.chunk - 1) * 20
        await self.send(
            {
                "event": "media",
                "media": {
                    "track": "inbound",
                    "chunk": str(self.chunk),
                    "timestamp": str(timestamp),
                    "payload": base64.b64encode(ulaw).decode(),
                },
                "streamSid": STREAM,
            }
        )

    def speak(self, samples: bytes) -> None:
        """Send s16 audio as 20 ms μ-law frames in real time, in the background."""
        self.tasks.append(asyncio.create_task(self._speak(samples)))

    async def _speak(self, samples: bytes) -> None:
        loop = asyncio.get_running_loop()
        begin = loop.time()
        ulaw = linear_to_ulaw(samples)
        for index, offset in enumerate(range(0, len(ulaw) - FRAME + 1, FRAME)):
            await asyncio.sleep(max(0.0, begin + index * 0.02 - loop.time()))
            if self.ws is None or self.ws.closed:
                return
            await self.media(ulaw[offset : offset + FRAME])

    async def stop(self) -> None:
        await self.send(
            {"event": "stop", "stop": {"accountSid": ACCOUNT, "callSid": CALL}, "streamSid": STREAM}
        )

    async def _read(self) -> None:
        assert self.ws is not None
        loop = asyncio.get_running_loop()
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            frame = orjson.loads(message.data)
            assert frame["streamSid"] == STREAM, frame
            if frame["event"] == "media":
                now = loop.time()
                self.heard += ulaw_to_linear(base64.b64decode(frame["media"]["payload"]))
                self.heard_at.append((now, len(self.heard)))
                self.played_until = max(self.played_until, now) + 0.02
            elif frame["event"] == "mark":
                name = frame["mark"]["name"]
                self.tasks.append(asyncio.create_task(self._echo(name)))
            elif frame["event"] == "clear":
                self.played_until = loop.time()
        self.close_code = self.ws.close_code
        self.closed.set()

    async def _echo(self, name: str) -> None:
        """Twilio sends a mark back when the audio before it has played."""
        await asyncio.sleep(max(0.0, self.played_until - asyncio.get_running_loop().time()))
        if self.ws is not None and not self.ws.closed:
            self.marks.append(name)
            await self.send({"event": "mark", "mark": {"name": name}, "streamSid": STREAM})

    async def hears(self, seconds: float) -> bytes:
        """The next `seconds` of loud audio the caller hears (silence before it skipped)."""
        return await next_loud(self.heard, seconds)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.ws is not None:
            await self.ws.close()
        await self.http.close()


@dataclass(frozen=True)
class Connected:
    """Where the TwiML sent the call: the stream's URL and its `<Parameter>`s."""

    stream_url: str
    parameters: dict[str, str]


class CallRefused(Exception):
    """The TwiML said something and hung up (a wrong PIN, a room not open): its words."""


async def dial(
    http: aiohttp.ClientSession,
    base_url: str,
    auth_token: str,
    pin: str,
    *,
    caller: str = "+15555550123",
    number: str = "+15555550100",
) -> Connected:
    """Ring the server's voice webhook and type `pin`: where the call is connected to."""
    call = {
        "AccountSid": ACCOUNT,
        "CallSid": CALL,
        "From": caller,
        "To": number,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    twiml = await _post(http, f"{base_url.rstrip('/')}/api/phone/voice", call, auth_token)
    gather = twiml.find("Gather")
    if gather is None or not gather.get("action"):
        raise CallRefused(_said(twiml))
    answer = await _post(http, str(gather.get("action")), {**call, "Digits": pin}, auth_token)
    stream = answer.find("Connect/Stream")
    if stream is None or not stream.get("url"):
        raise CallRefused(_said(answer))
    parameters = {str(p.get("name")): str(p.get("value")) for p in stream.findall("Parameter")}
    return Connected(str(stream.get("url")), parameters)


async def _post(
    http: aiohttp.ClientSession, url: str, form: dict[str, str], auth_token: str
) -> ET.Element:
    signature = RequestValidator(auth_token).compute_signature(url, form)
    async with http.post(url, data=form, headers={"X-Twilio-Signature": signature}) as response:
        text = await response.text()
        if response.status != 200:
            raise CallRefused(f"the webhook answered {response.status}: {text[:200]}")
    return ET.fromstring(text)


def _said(twiml: ET.Element) -> str:
    return " ".join(say.text or "" for say in twiml.iter("Say")) or "the call was not connected"


async def ring(
    base_url: str,
    auth_token: str,
    pin: str,
    *,
    seconds: float,
    voice: bytes,
    record: Path | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """`flourish dial-in`: call in with `pin`, speak `voice` (s16, 8 kHz, looped) for
    `seconds` or until the server ends the call, and keep what was heard (a WAV file). The
    exit status: 0 when the call was connected, 1 when it was refused."""
    async with aiohttp.ClientSession() as http:
        try:
            connected = await dial(http, base_url, auth_token, pin)
        except (CallRefused, aiohttp.ClientError) as refused:
            say(f"dial-in: not connected: {refused}")
            return 1
    say(f"dial-in: PIN accepted; streaming to {connected.stream_url}")
    call = TwilioCall(connected.stream_url, connected.stream_url, auth_token)
    try:
        await call.open()
        await call.start(connected.parameters)
        loops = int(seconds * RATE * 2 / max(1, len(voice))) + 1
        call.speak((voice * loops)[: int(seconds * RATE) * 2])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.closed.wait(), seconds)
        if call.closed.is_set():
            say(f"dial-in: the server ended the call (marks played: {', '.join(call.marks)})")
        else:
            await call.stop()
            say(f"dial-in: hung up after {seconds:g} s")
    finally:
        heard = bytes(call.heard)
        await call.close()
    say(f"dial-in: heard {len(heard) / 2 / RATE:.1f} s of audio")
    if record is not None:
        with wave.open(str(record), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(heard)
        say(f"dial-in: what the caller heard is in {record}")
    return 0
