"""The bridge of one phone call: the caller's seat in the session room.

The bridge is a client of our own `/session` namespace (a socket.io client connected to this
server process over loopback, with a `phone`-scope token of a login of its own,
`realtime.auth.phone_logins`), so the room treats the caller exactly as a browser participant:
the same admission and join window, presence (`via: "phone"`), attendance, timers, the hard
stop, rights (a logout everywhere or a cancel closes the socket, and the call with it) and the
rate limits. Nothing in `signalling/` knows about telephones beyond `via`.

Media: a server-side aiortc `RTCPeerConnection` with the caller's track (`CallerTrack`); the
coach's browser negotiates with it by the normal protocol. PCMU (G.711 μ-law, 8 kHz) is
preferred both when we offer and when we answer, so the caller's audio passes without
resampling; Opus remains the fallback (aiortc resamples for it; `ToTelephone` on the way
back). Each peer connection gets a `CallerTrack` of its own (aiortc stops a sender's track when
its connection closes). The newcomer offers (as the web client does): the bridge offers when
it joins a room the coach is in, and answers the coach's offer otherwise. aiortc cannot
restart ICE (aiortc issue #1367), so every offer from the coach is answered on a new peer
connection, and when the coach's socket comes back without a new offer the bridge offers on a
new one.

What the caller hears besides the coach: "waiting" while alone in the room, "one_minute" at
the one-minute warning, "goodbye" at the hard stop and "closed" when the room is closed to the
call (a cancel, the seat taken by another device, a logout); after the last two the call ends
once the provider's `mark` says the prompt has played.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame

from media.audio import ToTelephone, linear_to_ulaw, prompt
from media.pacing import CallerTrack, Outbound, Stats
from realtime.auth.phone_logins import PhoneLogins

log = logging.getLogger(__name__)

SESSION = "/session"
CONNECT_SECONDS = 10.0
RENEGOTIATE_AFTER = 1.5  # the coach's socket came back: wait this long for their offer
MARK_SLACK = 5.0  # after a prompt's own length, how long the provider's mark may take
ONE_MINUTE = range(45, 76)  # a warning this many seconds before the end gets "one_minute"
BYE = "bye"


def _preferred_codecs() -> list[Any]:
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    return [c for c in codecs if c.mimeType == "audio/PCMU"] + [
        c for c in codecs if c.mimeType == "audio/opus"
    ]


class Bridge:
    """One call's seat in its room. `run()` until the call ends; `heard` for the caller's audio,
    `marked` for the provider's marks, `hang_up` when the caller is gone."""

    def __init__(
        self,
        *,
        booking_id: str,
        user_id: uuid.UUID,
        logins: PhoneLogins,
        app_url: str,
        send: Callable[[str], Awaitable[None]],
        end_stream: Callable[[], Awaitable[None]],
        stats: Stats | None = None,
    ) -> None:
        self.booking_id = booking_id
        self.user_id = user_id
        self.logins = logins
        self.app_url = app_url
        self.end_stream = end_stream
        self.stats = stats if stats is not None else Stats()
        self.track = CallerTrack(self.stats)
        self.outbound = Outbound(send, self.stats)
        self.sio = socketio.AsyncClient(reconnection=False, ssl_verify=False)
        self.pc: RTCPeerConnection | None = None
        self.ice_servers: list[RTCIceServer] = []
        self.coach: str | None = None  # the coach's peer id while in the room
        self.signals: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        self.tasks: set[asyncio.Task[None]] = set()
        self.done = asyncio.Event()
        self.ending = False
        self.marks: dict[str, asyncio.Event] = {}
        self.last_description = 0.0
        self.login: uuid.UUID | None = None
        for event, handler in (
            ("peer-joined", self._peer_joined),
            ("peer-reconnected", self._peer_reconnected),
            ("peer-left", self._peer_left),
            ("signal", self._signal),
            ("timer:warning", self._warning),
            ("session:ended", self._session_ended),
            ("session:closed", self._session_closed),
            ("error", self._error),
            ("disconnect", self._disconnected),
        ):
            self.sio.on(event, handler=handler, namespace=SESSION)

    # The provider's side

    def heard(self, payload: bytes, timestamp_ms: int) -> None:
        if self.pc is not None:  # nobody to hear it otherwise
            self.track.heard(payload, timestamp_ms)

    def marked(self, name: str) -> None:
        event = self.marks.get(name)
        if event is not None:
            event.set()

    async def hang_up(self) -> None:
        """The caller hung up (or the stream broke): out of the room as a dropped socket is,
        so a call back within the grace period takes the seat back."""
        self.ending = True
        self.done.set()

    # The call

    async def run(self) -> None:
        """Join the room, then carry audio until the call ends; always cleans up."""
        self._spawn(self.outbound.run())
        self._spawn(self._negotiation())
        try:
            if await self._join():
                await self.done.wait()
        finally:
            await self._close()

    async def _join(self) -> bool:
        try:
            self.login = await self.logins.open(self.user_id)
            token = await self.logins.token(self.login)
            await self.sio.connect(
                self.app_url,
                auth={"token": token},
                namespaces=[SESSION],
                transports=["websocket"],
                wait_timeout=CONNECT_SECONDS,
            )
            ack = await self.sio.call(
                "join", {"booking_id": self.booking_id}, namespace=SESSION, timeout=CONNECT_SECONDS
            )
        except Exception:
            log.exception("phone: the bridge of a call to %s could not join", self.booking_id)
            await self._end("closed")
            return False
        if not isinstance(ack, dict) or not ack.get("ok"):
            code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
            log.info("phone: a call to %s refused by the room (%s)", self.booking_id, code)
            await self._end("closed")
            return False
        self.ice_servers = [RTCIceServer(**server) for server in ack.get("ice_servers", [])]
        coach = next((p for p in ack["peers"] if p["role"] == "coach"), None)
        log.info(
            "phone: a caller joined %s (coach %s)", self.booking_id, "in" if coach else "not in"
        )
        if coach is None:
            self.outbound.say(prompt("waiting"))
        else:
            self.coach = coach["peer_id"]
            await self._offer()
        return True

    async def _end(self, why: str) -> None:
        """Say `why` (a prompt), wait until the provider has played it, end the stream."""
        if self.ending:
            return
        self.ending = True
        await self._close_pc()
        self.outbound.silence_coach()
        self.outbound.hush()
        frames = prompt(why)
        played = self.marks[BYE] = asyncio.Event()
        self.outbound.say(frames, mark=BYE)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(played.wait(), len(frames) * 0.02 + MARK_SLACK)
        await self.end_stream()
        self.done.set()

    async def _close(self) -> None:
        self.ending = True
        await self._close_pc()
        self.track.stop()
        with contextlib.suppress(Exception):
            await self.sio.disconnect()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.login is not None:
            try:
                await self.logins.end(self.login)
            except Exception:
                log.exception("phone: a call's login not ended (it expires on its own)")

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("phone: a bridge task failed", exc_info=task.exception())

    # Room events (handlers return at once; signals are handled in order by `_negotiation`)

    async def _peer_joined(self, peer: dict[str, Any]) -> None:
        if peer.get("role") != "coach" or self.ending:
            return
        self.coach = peer["peer_id"]
        self.outbound.hush()  # no more "waiting"
        await self._close_pc()  # the newcomer offers

    async def _peer_reconnected(self, peer: dict[str, Any]) -> None:
        if peer.get("role") != "coach" or self.ending:
            return
        self.coach = peer["peer_id"]
        since = asyncio.get_running_loop().time()

        async def offer_unless_offered() -> None:
            await asyncio.sleep(RENEGOTIATE_AFTER)
            if self.last_description < since and not self.ending:
                await self.signals.put({"renegotiate": True})

        self._spawn(offer_unless_offered())

    async def _peer_left(self, left: dict[str, Any]) -> None:
        if left.get("peer_id") == self.coach:
            self.coach = None
            await self._close_pc()
            if not self.ending:
                self.outbound.say(prompt("waiting"))

    async def _signal(self, signal: dict[str, Any]) -> None:
        if signal.get("from") == self.coach and not self.signals.full():
            await self.signals.put(signal)

    async def _warning(self, warning: dict[str, Any]) -> None:
        if warning.get("remaining_s") in ONE_MINUTE and not self.ending:
            self.outbound.say(prompt("one_minute"))

    async def _session_ended(self, _: object = None) -> None:
        self._spawn(self._end("goodbye"))

    async def _session_closed(self, _: object = None) -> None:
        self._spawn(self._end("closed"))

    async def _error(self, error: dict[str, Any]) -> None:
        # Told before the server closes the socket: another device took the seat, a logout.
        if error.get("code") in ("taken_over", "token_invalid", "account_disabled"):
            self._spawn(self._end("closed"))

    async def _disconnected(self, *_: object) -> None:
        if not self.ending:
            self._spawn(self._end("closed"))

    # Negotiation

    async def _negotiation(self) -> None:
        while True:
            signal = await self.signals.get()
            try:
                if signal.get("renegotiate"):
                    await self._offer()
                elif "description" in signal:
                    await self._description(signal["description"])
                elif "candidate" in signal:
                    await self._candidate(signal["candidate"])
            except Exception:
                log.warning("phone: a signal from the coach not applied", exc_info=True)

    def _new_pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=self.ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        # A track of its own: aiortc stops a sender's track when its connection closes, so the
        # last connection's track would give the next one nothing but MediaStreamError.
        self.track.stop()
        self.track = CallerTrack(self.stats)
        pc.addTrack(self.track)
        for transceiver in pc.getTransceivers():
            transceiver.setCodecPreferences(_preferred_codecs())

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._spawn(self._listen(track))

        self.pc = pc
        return pc

    async def _offer(self) -> None:
        if self.coach is None or self.ending:
            return
        await self._close_pc()
        pc = self._new_pc()
        await pc.setLocalDescription(await pc.createOffer())
        await self._send_description(pc)

    async def _description(self, description: dict[str, Any]) -> None:
        self.last_description = asyncio.get_running_loop().time()
        kind, sdp = description.get("type"), description.get("sdp", "")
        if kind == "offer":
            await self._close_pc()
            pc = self._new_pc()
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            for transceiver in pc.getTransceivers():
                if transceiver.kind != "audio":
                    # A telephone has no camera or screen: refused, so nothing is sent to be
                    # decoded here (aiortc would queue every decoded frame nobody reads).
                    transceiver.direction = "inactive"
            await pc.setLocalDescription(await pc.createAnswer())
            await self._send_description(pc)
        elif (
            kind == "answer"
            and self.pc is not None
            and self.pc.signalingState == "have-local-offer"
        ):
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def _candidate(self, init: dict[str, Any]) -> None:
        pc = self.pc
        if pc is None or pc.remoteDescription is None:
            return
        line = init.get("candidate") or ""
        if not line:
            await pc.addIceCandidate(None)
            return
        candidate = candidate_from_sdp(line.removeprefix("candidate:"))
        candidate.sdpMid, candidate.sdpMLineIndex = init.get("sdpMid"), init.get("sdpMLineIndex")
        await pc.addIceCandidate(candidate)

    async def _send_description(self, pc: RTCPeerConnection) -> None:
        local = pc.localDescription  # aiortc gathers first: the candidates are in the SDP
        if self.coach is None:
            return
        description = {"type": local.type, "sdp": local.sdp}
        await self.sio.emit("signal", {"to": self.coach, "description": description}, SESSION)

    async def _close_pc(self) -> None:
        pc, self.pc = self.pc, None
        if pc is not None:
            self.outbound.silence_coach()
            await pc.close()

    async def _listen(self, track: MediaStreamTrack) -> None:
        """The coach's voice, to the caller's ear."""
        convert = ToTelephone()
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                self.outbound.coach(linear_to_ulaw(convert.samples(frame)))
