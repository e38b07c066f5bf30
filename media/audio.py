"""Telephone audio: G.711 μ-law at 8 kHz in 20 ms frames, and the recorded prompts a caller
hears.

μ-law goes through `audioop` (the standard library's up to Python 3.12, the maintained
`audioop-lts` package from 3.13 on: the dependency says so), never hand-written tables. Frames
from WebRTC that are not 8 kHz mono (Opus decodes to 48 kHz stereo) are resampled by PyAV's
`AudioResampler` (FFmpeg's swresample), which aiortc already depends on.

The prompts are speech recorded once by `scripts/make-prompts` (espeak-ng) and kept as raw
μ-law files in `media/prompts/`: the bridge mixes them into what the caller hears.
"""

from __future__ import annotations

import functools
import warnings
from fractions import Fraction
from importlib import resources

from av import AudioFrame, AudioResampler

with warnings.catch_warnings():
    # Deprecated in 3.11-3.12 (PEP 594), where it is still the standard library's.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
FRAME_SAMPLES = 160  # 20 ms
FRAME_BYTES = FRAME_SAMPLES  # one byte a sample in μ-law
FRAME_SECONDS = FRAME_SAMPLES / RATE
TIME_BASE = Fraction(1, RATE)
SILENCE = b"\xff" * FRAME_BYTES  # μ-law's zero

# What each prompt says (scripts/make-prompts records them; docs/phone.md lists them).
PROMPTS: dict[str, str] = {
    "waiting": "You are in your session room. Your coach will join you shortly.",
    "one_minute": "Your session ends in one minute.",
    "goodbye": "The session time is over. Thank you for calling Flourish. Goodbye.",
    "closed": "This call can no longer stay in the session. Goodbye.",
}


# What the demo's telephone says when `flourish dial-in` calls (media.dialer), recorded with the
# prompts.
DEMO_CALLER = (
    "Hello, this is your client, calling in from an ordinary telephone. "
    "Can you hear me? I am on the phone today."
)


def recording(name: str) -> bytes:
    """A recording of media/prompts/ as μ-law bytes."""
    return resources.files("media").joinpath("prompts", f"{name}.ulaw").read_bytes()


def ulaw_to_linear(payload: bytes) -> bytes:
    """μ-law bytes to signed 16-bit little-endian samples."""
    return audioop.ulaw2lin(payload, 2)


def linear_to_ulaw(samples: bytes) -> bytes:
    return audioop.lin2ulaw(samples, 2)


def level(samples: bytes) -> float:
    """The RMS level of s16 samples (0 to 32767)."""
    return float(audioop.rms(samples, 2))


def mix_ulaw(first: bytes, second: bytes) -> bytes:
    """Two μ-law frames of one length heard together (summed, clipped)."""
    return linear_to_ulaw(audioop.add(ulaw_to_linear(first), ulaw_to_linear(second), 2))


def frame_of(samples: bytes, pts: int) -> AudioFrame:
    """An 8 kHz mono s16 frame for aiortc (its PCMU encoder takes it as it is)."""
    frame = AudioFrame(format="s16", layout="mono", samples=len(samples) // 2)
    frame.planes[0].update(samples)
    frame.sample_rate = RATE
    frame.pts = pts
    frame.time_base = TIME_BASE
    return frame


class ToTelephone:
    """Frames from WebRTC, whatever their rate and layout, as 8 kHz mono s16 samples."""

    def __init__(self) -> None:
        self._resampler: AudioResampler | None = None

    def samples(self, frame: AudioFrame) -> bytes:
        if frame.sample_rate == RATE and frame.layout.name == "mono" and frame.format.name == "s16":
            return bytes(frame.planes[0])[: frame.samples * 2]  # PCMU: nothing to do
        if self._resampler is None:
            self._resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )


@functools.cache
def prompt(name: str) -> tuple[bytes, ...]:
    """A prompt as μ-law frames of 20 ms (the last padded with silence)."""
    audio = recording(name)
    frames = [audio[i : i + FRAME_BYTES] for i in range(0, len(audio), FRAME_BYTES)]
    if frames and len(frames[-1]) < FRAME_BYTES:
        frames[-1] = frames[-1] + SILENCE[len(frames[-1]) :]
    return tuple(frames)
