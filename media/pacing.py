"""The two directions of a bridged call's audio, with short buffers and their counters.

- `CallerTrack` (caller → room): the provider's μ-law frames as an aiortc audio track. Frames
  are handed to aiortc as they arrive (the provider sends them in real time; the browser's own
  jitter buffer smooths the network's), stamped with the provider's own media timestamps so a
  lost frame is a gap, not a shift. At most INBOUND_FRAMES wait: if aiortc falls behind, the
  oldest are dropped rather than delaying the caller's voice.
- `Outbound` (room → caller): frames from the coach's track wait in a jitter buffer (played
  once PRIME_FRAMES are in, at most OUTBOUND_FRAMES kept, the oldest dropped beyond, and a
  queue a burst left standing for a second dropped down to STANDING_KEPT) and go out one
  every 20 ms on an absolute schedule (no drift), mixed with a prompt while one plays.
  A `mark` follows a prompt, so the provider tells us when the caller has heard it.

Everything here runs on the event loop and costs microseconds a frame (audioop); nothing
blocks. `Stats` is what the benchmark (bench/phone.py) reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from media.audio import FRAME_BYTES, FRAME_SAMPLES, FRAME_SECONDS, frame_of, mix_ulaw
from media.audio import ulaw_to_linear as linear

log = logging.getLogger(__name__)

INBOUND_FRAMES = 5  # 100 ms
PRIME_FRAMES = 2  # 40 ms: what the coach's audio waits for before it plays
OUTBOUND_FRAMES = 6  # 120 ms
# A burst (the coach's frames held up, then let through at once) leaves a standing queue that a
# steady stream never drains: what stayed waiting for a whole STANDING_TICKS beyond
# STANDING_KEPT frames is dropped, so the delay comes back down within a second of a burst.
STANDING_TICKS = 50  # 1 s
STANDING_KEPT = PRIME_FRAMES - 1
LATE = FRAME_SECONDS  # a frame sent more than one frame after its slot is late
RESYNC = 0.2  # this far behind (the loop was blocked), the schedule starts again from now


@dataclass
class Stats:
    """Counters of one call (bench/phone.py reads them)."""

    received: int = 0  # frames from the provider
    dropped_in: int = 0  # caller frames dropped: aiortc did not take them in time
    sent: int = 0  # frames to the provider
    dropped_out: int = 0  # coach frames dropped: more than OUTBOUND_FRAMES, or a standing queue
    late: int = 0
    lateness: deque[float] = field(default_factory=lambda: deque(maxlen=15_000))  # s, 5 min
    # Told each outbound frame's lateness too (the `/metrics` histogram), if given.
    observe: Callable[[float], None] | None = field(default=None, repr=False, compare=False)

    def add(self, other: Stats) -> None:
        """Add another call's counters to these (not its lateness)."""
        self.received += other.received
        self.dropped_in += other.dropped_in
        self.sent += other.sent
        self.dropped_out += other.dropped_out
        self.late += other.late


class CallerTrack(MediaStreamTrack):
    """What the caller says, as an 8 kHz mono track for the room's peer connection."""

    kind = "audio"

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self.stats = stats
        self._frames: deque[tuple[int, bytes]] = deque()
        self._ready = asyncio.Event()
        self._pts = -FRAME_SAMPLES

    def heard(self, payload: bytes, timestamp_ms: int) -> None:
        """A media frame from the provider (μ-law, any multiple of 20 ms)."""
        pts = max(timestamp_ms * 8, self._pts + FRAME_SAMPLES)
        for start in range(0, len(payload), FRAME_BYTES):
            self.stats.received += 1
            if len(self._frames) >= INBOUND_FRAMES:
                self._frames.popleft()
                self.stats.dropped_in += 1
            self._frames.append((pts, payload[start : start + FRAME_BYTES]))
            self._pts, pts = pts, pts + FRAME_SAMPLES
        self._ready.set()

    async def recv(self) -> AudioFrame:
        while not self._frames:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        if self.readyState != "live":
            raise MediaStreamError
        pts, payload = self._frames.popleft()
        return frame_of(linear(payload), pts)

    def stop(self) -> None:
        super().stop()
        self._ready.set()


class Outbound:
    """The caller's ear: the coach's frames and prompts, paced at 20 ms."""

    def __init__(self, send: Callable[[str], Awaitable[None]], stats: Stats) -> None:
        self._send = send  # takes a Media Streams message (media.media_streams)
        self.stats = stats
        self._coach: deque[bytes] = deque()
        self._primed = False
        self._least = OUTBOUND_FRAMES  # the fewest frames left waiting after a tick, lately
        self._ticks = 0
        self._prompt: deque[bytes | str] = deque()  # μ-law frames, and mark names after them
        self._frame_message: Callable[[bytes], str] | None = None
        self._mark_message: Callable[[str], str] | None = None

    def bind(
        self, frame_message: Callable[[bytes], str], mark_message: Callable[[str], str]
    ) -> None:
        self._frame_message, self._mark_message = frame_message, mark_message

    def coach(self, ulaw: bytes) -> None:
        """μ-law from the room, in any length (kept in 20 ms frames)."""
        for start in range(0, len(ulaw) - FRAME_BYTES + 1, FRAME_BYTES):
            if len(self._coach) >= OUTBOUND_FRAMES:
                self._coach.popleft()
                self.stats.dropped_out += 1
            self._coach.append(ulaw[start : start + FRAME_BYTES])

    def say(self, frames: Iterable[bytes], mark: str | None = None) -> None:
        """Play a prompt (over the coach's voice), then send `mark` if given."""
        self._prompt.extend(frames)
        if mark is not None:
            self._prompt.append(mark)

    def hush(self) -> None:
        """Stop the prompt playing now (marks still go out)."""
        marks = [item for item in self._prompt if isinstance(item, str)]
        self._prompt.clear()
        self._prompt.extend(marks)

    def silence_coach(self) -> None:
        self._coach.clear()
        self._primed = False

    async def run(self) -> None:
        """Until cancelled or the provider's socket is gone: one frame each 20 ms slot, if there
        is something to play."""
        with contextlib.suppress(ConnectionError):  # closing: the call is ending anyway
            await self._run()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start, slot = loop.time(), 0
        while True:
            slot += 1
            due = start + slot * FRAME_SECONDS
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            lateness = loop.time() - due
            if lateness > RESYNC:
                start, slot = loop.time(), 0  # blocked for a while: do not burst to catch up
            await self._tick(lateness)

    def _drain_standing(self) -> None:
        """Drop what has waited in the coach's buffer all along for STANDING_TICKS (the queue a
        burst left), keeping STANDING_KEPT frames of slack for the network's jitter."""
        self._least = min(self._least, len(self._coach))
        self._ticks += 1
        if self._ticks < STANDING_TICKS:
            return
        for _ in range(max(0, self._least - STANDING_KEPT)):
            self._coach.popleft()
            self.stats.dropped_out += 1
        self._least, self._ticks = OUTBOUND_FRAMES, 0

    async def _tick(self, lateness: float) -> None:
        assert self._frame_message is not None, "bind() first"
        assert self._mark_message is not None, "bind() first"
        coach: bytes | None = None
        if not self._primed and len(self._coach) >= PRIME_FRAMES:
            self._primed = True
        if self._primed:
            if self._coach:
                coach = self._coach.popleft()
            else:
                self._primed = False  # ran dry: wait for PRIME_FRAMES again
        self._drain_standing()
        spoken: bytes | None = None
        while self._prompt and isinstance(self._prompt[0], str):
            name = self._prompt.popleft()
            assert isinstance(name, str)
            await self._send(self._mark_message(name))
        if self._prompt:
            item = self._prompt.popleft()
            assert isinstance(item, bytes)
            spoken = item
        frame = mix_ulaw(coach, spoken) if coach and spoken else coach or spoken
        if frame is None:
            return
        await self._send(self._frame_message(frame))
        self.stats.sent += 1
        self.stats.lateness.append(lateness)
        if self.stats.observe is not None:
            self.stats.observe(lateness)
        if lateness > LATE:
            self.stats.late += 1
