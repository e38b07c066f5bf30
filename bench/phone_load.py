"""The load process of `bench.phone`: both other sides of bridged calls, outside the server.

    python -m bench.phone_load SPEC.json     (commands on stdin, answers on stdout: JSON lines)

For each call in the spec: an aiortc coach (tests/media/endpoints.py's `Endpoint` with an
`EchoTrack`) joins the room through `/session` first, then a Twilio stand-in
(tests/media/twilio_streams.py's `TwilioCall`) opens `/phone/stream` signed and starts it with
the call's ticket, and the server's bridge offers to the coach. Then:

- every caller sends `PATTERN` as 20 ms μ-law frames on an absolute schedule (all callers on
  one ticker, in four groups 5 ms apart, as independent calls would not arrive together): a
  440 Hz tone with a 100 ms "ping" every second, at 1600, 2000 or 2400 Hz in turn;
- every coach returns each frame it hears at once (its track's `recv` is the remote track's)
  mixed with its own 880 Hz tone;
- so each caller hears 880 Hz (the coach's voice) and its own pings back: the time from
  sending a ping's first frame to hearing it is the round trip caller → bridge → coach →
  bridge → caller.

With `baseline` in the spec, one more pair in this process: a caller-side aiortc peer sending
the same pattern straight to an echoing aiortc peer over PCMU (no server, no bridge, no
WebSocket; its track is the bridge's own `CallerTrack`, fed by the same ticker): the same
round trip without the bridge, under the same load. (Left to aiortc's default the pair would
negotiate Opus, whose 8 -> 48 kHz resampling adds about 20 ms each way.)

Commands: `{"cmd": "mark"}` starts a measured window; `{"cmd": "report"}` answers what was
measured since the mark (`Window`); `{"cmd": "stop"}` closes everything and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import sys
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame

from media.audio import ToTelephone, linear_to_ulaw
from media.dialer import TwilioCall
from media.pacing import CallerTrack, Stats
from tests.media.endpoints import Endpoint
from tests.signalling.peers import Peer

RATE, FRAME = 8000, 160
FRAME_SECONDS = FRAME / RATE
TIME_BASE = Fraction(1, RATE)
PERIOD_FRAMES = 150  # 3 s: the pattern repeats (440 Hz and every ping fit whole cycles)
PINGS = {0: 1600.0, 50: 2000.0, 100: 2400.0}  # first frame of each ping -> its frequency
PING_FRAMES = 5  # 100 ms
CALLER_HZ, COACH_HZ = 440.0, 880.0
LEVEL, COACH_LEVEL = 0.3, 0.2
HEARD = 0.1 * 32767  # a frequency this loud in a frame is heard in it
GROUPS = 4  # callers send in four groups, 5 ms apart
GAP = 1.5 * FRAME_SECONDS  # a frame interval longer than this is a gap
CONNECTS_AT_ONCE = 10

log = logging.getLogger("bench.phone_load")


def _pattern() -> list[np.ndarray[Any, np.dtype[np.int16]]]:
    """The caller's 3 s of audio as s16 frames: 440 Hz, replaced by each ping for 100 ms."""
    n = np.arange(PERIOD_FRAMES * FRAME)
    wave = LEVEL * 32767 * np.sin(2 * math.pi * CALLER_HZ * n / RATE)
    for first, hz in PINGS.items():
        span = slice(first * FRAME, (first + PING_FRAMES) * FRAME)
        wave[span] = LEVEL * 32767 * np.sin(2 * math.pi * hz * n[span] / RATE)
    samples = wave.astype("<i2")
    return [samples[i * FRAME : (i + 1) * FRAME] for i in range(PERIOD_FRAMES)]


PATTERN = _pattern()
PATTERN_ULAW = [linear_to_ulaw(frame.tobytes()) for frame in PATTERN]
COACH_TONE = (COACH_LEVEL * 32767 * np.sin(2 * math.pi * COACH_HZ * np.arange(RATE) / RATE)).astype(
    np.int32
)  # 1 s: 880 whole cycles
_WINDOW = np.hanning(FRAME)
_PROBES = {
    hz: np.exp(-2j * math.pi * hz * np.arange(FRAME) / RATE) * _WINDOW
    for hz in (CALLER_HZ, COACH_HZ, *PINGS.values())
}


def amplitudes(samples: bytes | bytearray) -> dict[float, np.ndarray[Any, np.dtype[np.float64]]]:
    """For each probed frequency, its amplitude in each whole 20 ms frame of s16 `samples`."""
    values = np.frombuffer(bytes(samples), dtype="<i2")
    frames = values[: len(values) // FRAME * FRAME].reshape(-1, FRAME).astype(float)
    return {hz: np.abs(frames @ probe) * 2 / _WINDOW.sum() for hz, probe in _PROBES.items()}


def round_trips(
    sent: list[tuple[float, float]], heard: bytes | bytearray, arrivals: list[float]
) -> tuple[list[float], int]:
    """The round trips (s) of the pings heard back, matched to the last ping of the same
    frequency sent before each was heard; and how many pings were sent."""
    levels = amplitudes(heard)
    trips = []
    for hz in PINGS.values():
        loud = levels[hz] > HEARD
        onsets = np.flatnonzero(loud & ~np.concatenate(([False], loud[:-1])))
        times = [t for t, f in sent if f == hz]
        for index in onsets:
            if index >= len(arrivals):
                continue
            at = arrivals[index]
            before = [t for t in times if t < at]
            if before:
                trips.append(at - before[-1])
    return trips, len(sent)


def gaps(arrivals: list[float]) -> tuple[int, float]:
    """Frames missing in a run of 20 ms arrivals (intervals over GAP), and the longest
    interval (s)."""
    intervals = np.diff(np.asarray(arrivals)) if len(arrivals) > 1 else np.zeros(0)
    long = intervals[intervals > GAP]
    missing = int(np.sum(np.round(long / FRAME_SECONDS) - 1)) if len(long) else 0
    return missing, float(intervals.max()) if len(intervals) else 0.0


def _frame(samples: np.ndarray[Any, np.dtype[np.int16]], pts: int) -> AudioFrame:
    frame = AudioFrame(format="s16", layout="mono", samples=len(samples))
    frame.planes[0].update(samples.tobytes())
    frame.sample_rate, frame.pts, frame.time_base = RATE, pts, TIME_BASE
    return frame


class EchoTrack(MediaStreamTrack):
    """What the coach sends: each frame it hears, at once, mixed with its own 880 Hz."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.source: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
        self.convert = ToTelephone()
        self.pts = 0
        self.arrivals: list[float] = []  # when each frame from the caller arrived
        self.heard = bytearray()  # what it heard since the mark (8 kHz s16)

    async def recv(self) -> AudioFrame:
        source = await self.source
        frame = await source.recv()
        assert isinstance(frame, AudioFrame)
        self.arrivals.append(asyncio.get_running_loop().time())
        samples = self.convert.samples(frame)
        self.heard += samples
        heard = np.frombuffer(samples, dtype="<i2").astype(np.int32)
        tone = COACH_TONE[np.arange(self.pts, self.pts + len(heard)) % RATE]
        mixed = np.clip(heard + tone, -32768, 32767).astype("<i2")
        out = _frame(mixed, self.pts)
        self.pts += len(heard)
        return out

    def mark(self) -> None:
        self.arrivals.clear()
        self.heard.clear()


class EchoCoach(Endpoint):
    """The coach: `Endpoint`'s signalling, with `EchoTrack` as its microphone."""

    def __init__(self, peer: Peer, ice_servers: list[dict[str, Any]]) -> None:
        super().__init__(peer, ice_servers)
        self.echo = EchoTrack()
        self.pc.getSenders()[0].replaceTrack(self.echo)

    def _track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and not self.echo.source.done():
            self.echo.source.set_result(track)


@dataclass
class Caller:
    """One Twilio stand-in and what it sent and heard since the mark."""

    call: TwilioCall
    phase: int
    sent: int = 0
    pings: list[tuple[float, float]] = field(default_factory=list)  # (send time, frequency)
    heard_from: int = 0  # index into call.heard_at at the mark

    def mark(self) -> None:
        self.pings.clear()
        self.heard_from = len(self.call.heard_at)

    def heard(self) -> tuple[bytes, list[float]]:
        """What it heard since the mark, and when each frame arrived."""
        marks = self.call.heard_at[self.heard_from :]
        start = self.call.heard_at[self.heard_from - 1][1] if self.heard_from else 0
        return bytes(self.call.heard[start:]), [t for t, _ in marks]


@dataclass
class Window:
    """What the load measured since the mark, over every call (and the baseline pair)."""

    seconds: float = 0.0
    calls: int = 0
    caller_frames: int = 0  # frames the callers heard from the bridge
    caller_missing: int = 0  # 20 ms slots with nothing heard (gaps in arrivals)
    caller_max_gap_ms: float = 0.0
    caller_heard_coach: float = 0.0  # share of frames with the coach's 880 Hz in them
    coach_frames: int = 0
    coach_missing: int = 0
    coach_max_gap_ms: float = 0.0
    coach_heard_caller: float = 0.0  # share of frames with the caller's tone or a ping
    pings_sent: int = 0
    round_trips_ms: list[float] = field(default_factory=list)
    up_ms: list[float] = field(default_factory=list)  # the first leg: caller to coach
    baseline_pings_sent: int = 0
    baseline_round_trips_ms: list[float] = field(default_factory=list)
    baseline_up_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Baseline:
    """A direct aiortc call in this process: a pinging peer and an echoing one. The pinging
    peer's track is the bridge's own `CallerTrack`, fed by the callers' ticker as the bridge's
    is fed by the stand-in's frames, so the two round trips differ only by the bridge."""

    def __init__(self) -> None:
        self.ping = CallerTrack(Stats())
        self.pings: list[tuple[float, float]] = []
        self.sent = 0
        self.echo = EchoTrack()
        self.caller = RTCPeerConnection()
        self.coach = RTCPeerConnection()
        self.caller.addTrack(self.ping)
        self.coach.addTrack(self.echo)
        pcmu = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.name == "PCMU"]
        for transceiver in self.caller.getTransceivers():
            transceiver.setCodecPreferences(pcmu)  # as the bridge offers: no Opus, no resampling
        self.heard = bytearray()
        self.arrivals: list[float] = []
        self.tasks: list[asyncio.Task[None]] = []

        @self.coach.on("track")
        def coach_track(track: MediaStreamTrack) -> None:
            self.echo.source.set_result(track)

        @self.caller.on("track")
        def caller_track(track: MediaStreamTrack) -> None:
            self.tasks.append(asyncio.create_task(self._listen(track)))

    async def connect(self) -> None:
        await self.caller.setLocalDescription(await self.caller.createOffer())
        await self.coach.setRemoteDescription(self.caller.localDescription)
        await self.coach.setLocalDescription(await self.coach.createAnswer())
        await self.caller.setRemoteDescription(self.coach.localDescription)

    async def _listen(self, track: MediaStreamTrack) -> None:
        convert = ToTelephone()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                self.arrivals.append(asyncio.get_running_loop().time())
                self.heard += convert.samples(frame)

    def speak(self, now: float) -> None:
        position = self.sent % PERIOD_FRAMES
        if position in PINGS:
            self.pings.append((now, PINGS[position]))
        self.ping.heard(PATTERN_ULAW[position], self.sent * 20)
        self.sent += 1

    def mark(self) -> None:
        self.pings.clear()
        self.heard.clear()
        self.arrivals.clear()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.caller.close()
        await self.coach.close()


class Load:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.callers: list[Caller] = []
        self.coaches: list[EchoCoach] = []
        self.peers: list[Peer] = []
        self.baseline: Baseline | None = None
        self.marked = 0.0
        self.errors: list[str] = []
        self.ticker: asyncio.Task[None] | None = None

    async def up(self) -> dict[str, Any]:
        self.ticker = asyncio.create_task(self._tick())
        gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

        async def one(index: int, call: dict[str, Any]) -> None:
            async with gate:
                try:
                    await self._call(index, call)
                except Exception as error:  # reported, and the harness fails the run
                    log.exception("call %d not set up", index)
                    self.errors.append(f"call {index} not set up: {error!r}")

        await asyncio.gather(*(one(i, c) for i, c in enumerate(self.spec["calls"])))
        if self.spec.get("baseline"):
            self.baseline = Baseline()
            await self.baseline.connect()
        return {"up": len(self.callers), "errors": self.errors}

    async def _call(self, index: int, call: dict[str, Any]) -> None:
        peer = Peer()
        self.peers.append(peer)
        await peer.connect(self.spec["url"], {"token": call["coach_token"]})
        joined = await peer.join(call["booking_id"])
        coach = EchoCoach(peer, joined["ice_servers"])
        self.coaches.append(coach)
        coach.follow()
        twilio = TwilioCall(
            self.spec["url"] + "/phone/stream", self.spec["stream_url"], self.spec["auth_token"]
        )
        await twilio.open()
        await twilio.start({"ticket": call["ticket"]})
        caller = Caller(twilio, phase=(index * 7) % PERIOD_FRAMES)
        self.callers.append(caller)
        await coach.connected(channel=False)

    async def _tick(self) -> None:
        """Every caller's next frame each 20 ms, group g at g * 5 ms into the slot."""
        loop = asyncio.get_running_loop()
        begin, step = loop.time(), 0
        while True:
            group = step % GROUPS
            await asyncio.sleep(max(0.0, begin + step * FRAME_SECONDS / GROUPS - loop.time()))
            step += 1
            if group == 0 and self.baseline is not None:
                self.baseline.speak(loop.time())
            for n, caller in enumerate(list(self.callers)):
                if n % GROUPS != group or caller.call.ws is None or caller.call.ws.closed:
                    continue
                position = (caller.sent + caller.phase) % PERIOD_FRAMES
                if position in PINGS:
                    caller.pings.append((loop.time(), PINGS[position]))
                caller.sent += 1
                try:
                    await caller.call.media(PATTERN_ULAW[position])
                except ConnectionError:
                    continue

    def mark(self) -> dict[str, Any]:
        self.marked = asyncio.get_running_loop().time()
        for caller in self.callers:
            caller.mark()
        for coach in self.coaches:
            coach.echo.mark()
        if self.baseline is not None:
            self.baseline.mark()
        return {"marked": True}

    def report(self) -> Window:
        window = Window(asyncio.get_running_loop().time() - self.marked, len(self.callers))
        with_coach = with_caller = 0
        for caller, coach in zip(self.callers, self.coaches, strict=False):
            heard, arrivals = caller.heard()
            window.caller_frames += len(arrivals)
            missing, longest = gaps(arrivals)
            window.caller_missing += missing
            window.caller_max_gap_ms = max(window.caller_max_gap_ms, longest * 1000)
            with_coach += int(np.sum(amplitudes(heard)[COACH_HZ] > HEARD))
            trips, sent = round_trips(caller.pings, heard, arrivals)
            window.round_trips_ms += [t * 1000 for t in trips]
            window.pings_sent += sent
            echo = coach.echo
            window.up_ms += [
                t * 1000 for t in round_trips(caller.pings, echo.heard, echo.arrivals)[0]
            ]
            window.coach_frames += len(echo.arrivals)
            missing, longest = gaps(echo.arrivals)
            window.coach_missing += missing
            window.coach_max_gap_ms = max(window.coach_max_gap_ms, longest * 1000)
            levels = amplitudes(bytes(echo.heard))
            tone = np.maximum.reduce([levels[hz] for hz in (CALLER_HZ, *PINGS.values())])
            with_caller += int(np.sum(tone > HEARD))
        window.caller_heard_coach = with_coach / max(window.caller_frames, 1)
        window.coach_heard_caller = with_caller / max(window.coach_frames, 1)
        if self.baseline is not None:
            trips, sent = round_trips(
                self.baseline.pings, bytes(self.baseline.heard), self.baseline.arrivals
            )
            window.baseline_round_trips_ms = [t * 1000 for t in trips]
            window.baseline_pings_sent = sent
            echo = self.baseline.echo
            up = round_trips(self.baseline.pings, bytes(echo.heard), echo.arrivals)[0]
            window.baseline_up_ms = [t * 1000 for t in up]
        window.errors = list(self.errors)
        return window

    async def close(self) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
        for caller in self.callers:
            with contextlib.suppress(Exception):
                await caller.call.stop()
        for caller in self.callers:
            with contextlib.suppress(Exception):
                await caller.call.close()
        for coach in self.coaches:
            with contextlib.suppress(Exception):
                await coach.close()
        for peer in self.peers:
            with contextlib.suppress(Exception):
                await peer.close()
        if self.baseline is not None:
            await self.baseline.close()


async def serve(spec: dict[str, Any]) -> None:
    load = Load(spec)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(message: object) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    try:
        answer(await load.up())
        while line := await reader.readline():
            command = json.loads(line)["cmd"]
            if command == "mark":
                answer(load.mark())
            elif command == "report":
                answer(asdict(load.report()))
            elif command == "stop":
                break
    finally:
        await load.close()
    answer({"stopped": True})


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    spec = json.loads(Path(sys.argv[1]).read_text())
    asyncio.run(serve(spec))


if __name__ == "__main__":
    main()
