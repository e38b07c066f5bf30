"""`/phone/stream`: the Media Streams WebSocket a connected call's audio comes over
(`<Connect><Stream>`, media.phone_api), each call bridged into its session room
(media.bridge).

The upgrade is refused (problem+json, nothing started) without a valid `X-Twilio-Signature` of
the stream URL (403), with dial-in off (404), or with PHONE_MAX_CALLS calls already on this
process (503). After it, the stream must `start` within START_SECONDS with our signed ticket
among its `customParameters` (it names the booking and participant the PIN admitted, and
expires); anything else first — media before `start`, a malformed or forged start — closes
the stream (1008) with nothing joined. During the call: media of another stream, malformed
frames and frames over the rate (MEDIA_RATE a second) are dropped and counted, more than
MAX_MALFORMED malformed ones close the stream, a frame over MAX_FRAME bytes closes it (1009,
aiohttp). `stop`, or the socket closing, is the caller hanging up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Iterator

from aiohttp import WSMsgType, web
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from media import media_streams as streams
from media.bridge import Bridge
from media.pacing import Stats
from media.phone import read_ticket
from media.phone_api import TELEPHONY, Telephony
from realtime.auth.phone_logins import PhoneLogins
from realtime.errors import Code, Forbidden, NotFound, Unavailable
from realtime.metrics import Metrics
from signalling.limits import Bucket

log = logging.getLogger(__name__)

START_SECONDS = 10.0
MAX_MALFORMED = 20
MEDIA_RATE = 100  # frames a second (the provider sends 50), bursts of twice that
POLICY, TOO_BIG = 1008, 1009
CLOSE_SECONDS = 5.0


FRAME_KINDS = ("received", "dropped_in", "sent", "dropped_out", "late")


class PhoneCalls:
    """The calls this process carries (a cap, and all ended at shutdown). With `metrics`, each
    outbound frame's lateness goes to `flourish_phone_frame_lateness_seconds` and the calls'
    frame counters (`Stats`) are `flourish_phone_frames_total{kind}`."""

    def __init__(self, logins: PhoneLogins, most: int, metrics: Metrics | None = None) -> None:
        self.logins = logins
        self.most = most
        self.bridges: set[Bridge] = set()
        self.running: set[asyncio.Future[None]] = set()
        self.ended = Stats()  # the counters of every call that ended
        self._lateness = None if metrics is None else metrics.phone_frame_lateness.observe
        if metrics is not None:
            metrics.registry.register(_FrameCounts(self))

    def new_stats(self) -> Stats:
        return Stats(observe=self._lateness)

    def start(self, bridge: Bridge) -> None:
        self.bridges.add(bridge)

    def end(self, bridge: Bridge) -> None:
        """The call is over: its counters move to `ended` (in one step: the totals never fall)."""
        if bridge in self.bridges:
            self.bridges.discard(bridge)
            self.ended.add(bridge.stats)

    def totals(self) -> Stats:
        """The frame counters of every call so far, ended or live."""
        total = Stats()
        total.add(self.ended)
        for bridge in self.bridges:
            total.add(bridge.stats)
        return total

    def full(self) -> bool:
        return len(self.running) >= self.most

    def carry(self, call: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(call)
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task

    async def close(self) -> None:
        """Shutdown: every call's stream closed (the provider ends those calls), and their
        clean-up (leaving the room, ending the login) done before the database closes."""
        for bridge in list(self.bridges):
            await bridge.hang_up()
        if self.running:
            await asyncio.wait(set(self.running), timeout=CLOSE_SECONDS)


class _FrameCounts(Collector):
    """`flourish_phone_frames_total{kind}`, read from the calls' `Stats` at each scrape (nothing
    counted twice on the frame path)."""

    def __init__(self, calls: PhoneCalls) -> None:
        self.calls = calls

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "flourish_phone_frames",
            "Audio frames of phone calls: received from and sent to the provider, dropped on "
            "the way in or out (buffers full), and sent late (over 20 ms after their slot).",
            labels=["kind"],
        )
        totals = self.calls.totals()
        for kind in FRAME_KINDS:
            family.add_metric([kind], getattr(totals, kind))
        yield family


PHONE_CALLS = web.AppKey("phone_calls", PhoneCalls)


async def stream(request: web.Request) -> web.StreamResponse:
    telephony = request.app[TELEPHONY]
    calls = request.app[PHONE_CALLS]
    if telephony.provider is None:
        raise NotFound(Code.NOT_FOUND, "Dial-in is not enabled on this server.")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not telephony.provider.verify(telephony.stream_url(), {}, signature):
        raise Forbidden(Code.WEBHOOK_SIGNATURE_INVALID, "The X-Twilio-Signature is not valid.")
    if calls.full():
        raise Unavailable(Code.PHONE_BUSY, "This server carries as many calls as it can.")
    ws = web.WebSocketResponse(max_msg_size=streams.MAX_FRAME)
    await ws.prepare(request)
    try:
        started = await asyncio.wait_for(_start(ws), START_SECONDS)
    except TimeoutError:
        started = None
        log.info("phone: a stream sent no start within %s s", START_SECONDS)
    admitted = _admitted(telephony, started)
    if started is None or admitted is None:
        await ws.close(code=POLICY, message=b"start with a valid ticket first")
        return ws
    booking_id, user_id = admitted

    async def send(message: str) -> None:
        if not ws.closed:
            await ws.send_str(message)

    async def end_stream() -> None:
        await ws.close()

    bridge = Bridge(
        booking_id=booking_id,
        user_id=user_id,
        logins=calls.logins,
        app_url=_own_url(request),
        send=send,
        end_stream=end_stream,
        stats=calls.new_stats(),
    )
    sid = started.stream_sid
    bridge.outbound.bind(
        lambda frame: streams.media(sid, frame), lambda name: streams.mark(sid, name)
    )
    # The call runs in a task of its own, which the handler's cancellation (the provider's
    # connection gone) does not interrupt: its clean-up always runs to the end.
    await asyncio.shield(calls.carry(_call(ws, calls, bridge, sid)))
    return ws


async def _call(ws: web.WebSocketResponse, calls: PhoneCalls, bridge: Bridge, sid: str) -> None:
    calls.start(bridge)
    running = asyncio.ensure_future(bridge.run())
    # However the bridge ends (a goodbye, a failure), the stream closes and the reading stops.
    closing: list[asyncio.Future[bool]] = []
    running.add_done_callback(lambda _: closing.append(asyncio.ensure_future(ws.close())))
    try:
        await _carry(ws, bridge, sid)
    except Exception:
        log.exception("phone: a call's stream failed")
    finally:
        await bridge.hang_up()
        with contextlib.suppress(Exception):
            await running
        calls.end(bridge)
        with contextlib.suppress(Exception):
            await ws.close()
        log.info(
            "phone: a call to %s ended (%d frames in, %d out, %d dropped)",
            bridge.booking_id,
            bridge.stats.received,
            bridge.stats.sent,
            bridge.stats.dropped_in + bridge.stats.dropped_out,
        )


async def _start(ws: web.WebSocketResponse) -> streams.Start | None:
    """`connected` (optional), then `start`; None for anything else first."""
    async for message in ws:
        if message.type is not WSMsgType.TEXT:
            return None
        try:
            frame = streams.read(message.data)
        except streams.Malformed as bad:
            log.info("phone: a stream's first frames are malformed (%s)", bad)
            return None
        if isinstance(frame, streams.Start):
            return frame
        if not isinstance(frame, streams.Connected):
            log.info("phone: a stream sent %s before start", type(frame).__name__.lower())
            return None
    return None


def _admitted(telephony: Telephony, started: streams.Start | None) -> tuple[str, uuid.UUID] | None:
    if started is None:
        return None
    ticket = started.parameters.get("ticket", "")
    read = read_ticket(telephony.ticket_key, ticket, telephony.clock.now().timestamp())
    if read is None:
        log.info("phone: a stream with an unknown or expired ticket refused")
        return None
    try:
        return read[0], uuid.UUID(read[1])
    except ValueError:
        return None


async def _carry(ws: web.WebSocketResponse, bridge: Bridge, sid: str) -> None:
    """The provider's frames to the bridge, until the caller hangs up or the stream closes
    (the bridge closes it when it ends)."""
    loop = asyncio.get_running_loop()
    bucket = Bucket(MEDIA_RATE, 2 * MEDIA_RATE, loop.time())
    malformed = 0
    async for message in ws:
        if message.type is WSMsgType.ERROR:
            if ws.close_code == TOO_BIG:
                log.info("phone: a stream closed for a frame over %d bytes", streams.MAX_FRAME)
            return
        try:
            if message.type is not WSMsgType.TEXT:
                raise streams.Malformed("frames must be text")
            frame = streams.read(message.data)
        except streams.Malformed:
            malformed += 1
            if malformed > MAX_MALFORMED:
                log.info("phone: a stream closed after %d malformed frames", malformed)
                await ws.close(code=POLICY, message=b"malformed frames")
                return
            continue
        if isinstance(frame, streams.Media):
            if frame.stream_sid != sid or not bucket.take(loop.time()):
                bridge.stats.dropped_in += 1
                continue
            bridge.heard(frame.payload, frame.timestamp_ms)
        elif isinstance(frame, streams.Mark):
            bridge.marked(frame.name)
        elif isinstance(frame, streams.Stop):
            return
        # `dtmf`: keys pressed during the call mean nothing to the room (never logged).


def _own_url(request: web.Request) -> str:
    """This process, as the bridge's socket.io client reaches it: the address the provider's
    connection came in on (any process of the deployment would do: rooms span them)."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    scheme = "https" if request.secure else "http"
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = sockname[0], sockname[1]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"
    return f"{scheme}://{request.host}"
