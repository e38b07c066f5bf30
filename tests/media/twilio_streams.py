"""A stand-in for Twilio's side of a Media Streams call (Twilio itself cannot run here).

It speaks the protocol as twilio.com/docs/voice/media-streams/websocket-messages documents it
(and Twilio's sample logs in the twilio/media-streams repository show it): the WebSocket
upgrade signed with `X-Twilio-Signature` over the stream URL (the `twilio` package's
`RequestValidator`), text frames `connected`, `start` (accountSid, streamSid, callSid, tracks,
mediaFormat, customParameters), `media` every 20 ms (track, chunk, timestamp in ms and payload
as strings, base64 μ-law), `dtmf`, `stop`; and, as Twilio does, it plays the `media` we send
in real time and echoes each `mark` once the audio sent before it has played.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
from typing import Any

import aiohttp
import numpy as np
import orjson
from twilio.request_validator import RequestValidator

from media.audio import linear_to_ulaw, ulaw_to_linear

RATE, FRAME = 8000, 160
ACCOUNT, CALL, STREAM = "AC" + "0" * 32, "CA" + "1" * 32, "MZ" + "2" * 32


def tone(frequency: float, seconds: float, level: float = 0.4) -> bytes:
    """A sine tone as s16 samples at 8 kHz."""
    n = np.arange(int(RATE * seconds))
    wave = level * 32767 * np.sin(2 * math.pi * frequency * n / RATE)
    return wave.astype("<i2").tobytes()


def dominant(samples: bytes, rate: int = RATE) -> float:
    """The strongest frequency of s16 samples (FFT, Hann window)."""
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(values * np.hanning(len(values))))
    spectrum[0] = 0.0
    return float(np.fft.rfftfreq(len(values), 1 / rate)[int(np.argmax(spectrum))])


def purity(samples: bytes, frequency: float, rate: int = RATE) -> float:
    """The share of the energy of s16 samples within 30 Hz of `frequency` (1.0: a pure tone)."""
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    power = np.abs(np.fft.rfft(values * np.hanning(len(values)))) ** 2
    near = np.abs(np.fft.rfftfreq(len(values), 1 / rate) - frequency) <= 30
    return float(power[near].sum() / power.sum())


def loudness(samples: bytes) -> float:
    values = np.frombuffer(samples, dtype="<i2").astype(float)
    return float(np.sqrt(np.mean(values**2))) if len(values) else 0.0


async def next_loud(heard: bytearray, seconds: float, within: float = 15.0) -> bytes:
    """The next `seconds` of loud audio appended to `heard` (8 kHz s16), silence skipped."""
    want = int(seconds * RATE) * 2

    async def loud() -> bytes:
        while True:
            start = len(heard)
            while len(heard) < start + want:  # noqa: ASYNC110  (a buffer others append to)
                await asyncio.sleep(0.02)
            chunk = bytes(heard[start : start + want])
            if loudness(chunk) > 1000:
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
