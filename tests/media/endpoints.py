"""A WebRTC endpoint for the tests: a real aiortc `RTCPeerConnection` with an audio track (a
tone) and a data channel, signalled through our `/session` namespace by a `Peer`.

aiortc puts every ICE candidate in its SDP and fires no `icecandidate` events, so the endpoint
trickles as a browser does: it takes the candidates out of its description, sends the bare
description, then each candidate, then the end of candidates (`candidate: ""`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from array import array
from fractions import Fraction
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame

from media.audio import ToTelephone
from tests.signalling.peers import Peer
from tests.signalling.viewers import WAIT

SAMPLE_RATE, SAMPLES = 8000, 160  # 20 ms


class ToneTrack(AudioStreamTrack):
    """A tone of any frequency (its phase carried from frame to frame), paced in real time as
    a microphone would be."""

    def __init__(self, frequency: float = 400) -> None:
        super().__init__()
        self.frequency = frequency
        self.sample = 0

    async def recv(self) -> AudioFrame:
        silence = await super().recv()  # keeps the pace and the timestamps
        step = 2 * math.pi * self.frequency / SAMPLE_RATE
        samples = array(
            "h", (int(8000 * math.sin(step * (self.sample + n))) for n in range(SAMPLES))
        )
        self.sample += SAMPLES
        frame = AudioFrame(format="s16", layout="mono", samples=SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.pts, frame.sample_rate = silence.pts, SAMPLE_RATE
        frame.time_base = Fraction(1, SAMPLE_RATE)
        return frame


def split_candidates(sdp: str) -> tuple[str, list[dict[str, Any]]]:
    """The SDP without its candidates, and the candidates as `RTCIceCandidateInit`s."""
    kept: list[str] = []
    found: list[dict[str, Any]] = []
    index, mid = -1, None
    for line in sdp.splitlines():
        if line.startswith("m="):
            index, mid = index + 1, None
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        if line.startswith("a=candidate:"):
            found.append({"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": index})
            continue
        if line == "a=end-of-candidates":
            continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n", found


class Endpoint:
    def __init__(
        self,
        peer: Peer,
        ice_servers: list[dict[str, Any]],
        *,
        relay: bool = False,
        frequency: float = 400,
    ) -> None:
        self.peer = peer
        self.ice_servers = ice_servers
        self.bridge_peer = ""  # the phone caller's peer id, when the test needs it
        servers = [RTCIceServer(**server) for server in ice_servers]
        policy = RTCIceTransportPolicy.RELAY if relay else RTCIceTransportPolicy.ALL
        # One transport for audio and data (one TURN allocation), as browsers negotiate.
        configuration = RTCConfiguration(
            iceServers=servers, iceTransportPolicy=policy, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE
        )
        self.pc = RTCPeerConnection(configuration)
        self.pc.addTrack(ToneTrack(frequency))
        self.loud_frames: asyncio.Queue[int] = asyncio.Queue()
        self.received = bytearray()  # what was heard, as 8 kHz mono s16
        self.messages: asyncio.Queue[str] = asyncio.Queue()
        self.channel: RTCDataChannel | None = None
        self.opened = asyncio.Event()
        self.remote_candidates: list[str] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._track)
        self.pc.on("datachannel", self._channel)

    def _track(self, track: MediaStreamTrack) -> None:
        self.tasks.append(asyncio.create_task(self._listen(track)))

    async def _listen(self, track: MediaStreamTrack) -> None:
        convert = ToTelephone()
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                self.received += convert.samples(frame)
                peak = max(abs(s) for s in array("h", bytes(frame.planes[0])))
                if peak > 1000:
                    self.loud_frames.put_nowait(peak)

    def _channel(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        channel.on("message", self.messages.put_nowait)
        if channel.readyState == "open":
            self.opened.set()
        channel.on("open", self.opened.set)

    def follow(self) -> None:
        """Answer the signals the peer receives, in the background."""
        self.tasks.append(asyncio.create_task(self._follow()))

    async def _follow(self) -> None:
        while True:
            await self.handle(await self.peer.events["signal"].get())

    async def offer(self, to: str, *, channel: bool = True) -> None:
        if channel:
            self._channel(self.pc.createDataChannel("chat"))
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._send_description(to)

    async def handle(self, signal: dict[str, Any]) -> None:
        if "description" in signal:
            description = signal["description"]
            await self.pc.setRemoteDescription(RTCSessionDescription(**description))
            if description["type"] == "offer":
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                await self._send_description(signal["from"])
        else:
            init = signal["candidate"]
            if not init["candidate"]:
                await self.pc.addIceCandidate(None)
                return
            self.remote_candidates.append(init["candidate"])
            candidate = candidate_from_sdp(init["candidate"].removeprefix("candidate:"))
            candidate.sdpMid, candidate.sdpMLineIndex = init["sdpMid"], init["sdpMLineIndex"]
            await self.pc.addIceCandidate(candidate)

    async def _send_description(self, to: str) -> None:
        local = self.pc.localDescription
        sdp, candidates = split_candidates(local.sdp)
        await self.peer.send("signal", {"to": to, "description": {"type": local.type, "sdp": sdp}})
        for candidate in candidates:
            await self.peer.send("signal", {"to": to, "candidate": candidate})
        await self.peer.send("signal", {"to": to, "candidate": {"candidate": "", "sdpMid": "0"}})

    async def connected(self, *, channel: bool = True) -> None:
        """Until ICE and DTLS are up and (with `channel`) the data channel is open."""

        async def up() -> None:
            while self.pc.connectionState != "connected":
                if self.pc.connectionState == "failed":
                    raise AssertionError("the peer connection failed")
                await asyncio.sleep(0.02)
            if channel:
                await self.opened.wait()

        try:
            await asyncio.wait_for(up(), WAIT)
        except TimeoutError:
            pc = self.pc
            raise AssertionError(
                f"not connected: ice {pc.iceConnectionState}, connection {pc.connectionState}, "
                f"channel open {self.opened.is_set()}, remote candidates {self.remote_candidates}"
            ) from None

    async def hears(self, frames: int = 5) -> None:
        """Until `frames` loud audio frames arrived."""
        for _ in range(frames):
            await asyncio.wait_for(self.loud_frames.get(), WAIT)

    def say(self, text: str) -> None:
        assert self.channel is not None
        self.channel.send(text)

    async def hear_message(self) -> str:
        return await asyncio.wait_for(self.messages.get(), WAIT)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pc.close()
