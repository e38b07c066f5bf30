"""Server-kept session time on `/session`, beside the call and the chat (signalling.session
keeps the room; this module hooks into its `join` and leave, as signalling.chat does).

Each booking's timers come from its times (booking.policy.sessions.deadlines): a
`timer:warning` at each of `SESSION_WARNINGS` seconds before the end and the hard stop at the
end plus `SESSION_END_GRACE`. They are kept by signalling.deadlines (Redis, one leader under a
short lease; in process on the embedded default) and planned by one mechanism, the planning
pass: the leader plans every confirmed booking ending in the next `HORIZON` (or in the past
`CATCH_UP`, for a hard stop missed while every process was down) when it takes the lease and
every `TIMER_RECONCILE` seconds. A booking is also planned at every `join`, and planned again
(or dropped) by the leader when its room closes after a reschedule or a cancel: both only
bring the pass forward. Nothing is lost when a process dies between a booking change's commit
and its planning, as the next pass reads the committed booking; and a timer fires only if the
booking still takes place and still ends when the timer was planned for (read at firing, one
query per claimed batch), so a stale timer left by a change the pass has not seen yet does
nothing.

At a warning the room is told `timer:warning` (through the Redis manager: every process's
sockets). At the hard stop the room is closed on every process through the path a cancel
takes (`SocketRights.close`, `Closed.ENDED`: `session:ended`, the chat seat goes with the
room's leave hooks), and the `on_end` hooks run, once, on the process that fired it: the place
for deciding the session's outcome or ending a phone bridge. After it `join` is refused
(`session_over`, booking.policy.sessions), so nobody rejoins.

`timer:sync` (`{server_time, ends_at, closes_at, ...}`) is in the join ack and sent to every
joined socket of this process every `SYNC_EVERY` seconds, so clients count down on the server's
clock; `ice:refresh` gives fresh TURN credentials (media/ice.py) for a long session.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import socketio

from booking.policy.sessions import END, deadlines, has_media, remaining_seconds
from booking.services.sessions import Admission, Closed, Sessions, Timing
from media.ice import ice_servers
from realtime.auth.access import Principal
from realtime.clock import Clock
from realtime.errors import BadRequest, Code
from realtime.metrics import Metrics
from realtime.settings import Settings
from realtime.tasks import running
from signalling.acks import Ack, Answering, answers, error_ack, ok
from signalling.countdown_protocol import (
    ICE_REFRESH,
    SERVER_ONLY,
    TIMER_SYNC,
    TIMER_WARNING,
    IceRefreshIn,
    TimerSync,
    TimerWarning,
)
from signalling.deadlines import Deadlines, Due, Store
from signalling.protocol import SESSION, utc_iso
from signalling.rights import CloseRoom, SocketRights
from signalling.rooms import room_channel
from signalling.session import SessionSignalling

log = logging.getLogger(__name__)

HORIZON = timedelta(hours=6)
CATCH_UP = timedelta(hours=1)
# A warning this late (every process was down at its time) is not sent; the hard stop is.
LATE_WARNING = timedelta(seconds=30)
SYNC_EVERY = 60.0
PLAN_BATCH = 100  # bookings planned at once (one Lua script each, pipelined by the pool)

# Called once per session at its hard stop, with the booking's id.
EndHook = Callable[[uuid.UUID], Awaitable[None]]


@dataclass(eq=False)
class TimerSeat:
    booking_id: str
    user_id: str
    ends_at: datetime
    closes_at: datetime
    media: bool
    ice_expires_at: datetime | None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Countdown:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        settings: Settings,
        clock: Clock,
        sessions: Sessions,
        session: SessionSignalling,
        rights: SocketRights,
        store: Store,
        metrics: Metrics,
    ) -> None:
        self.sio = sio
        self.settings = settings
        self.clock = clock
        self.sessions = sessions
        self.session = session
        self.rights = rights
        self.metrics = metrics
        self.grace = timedelta(seconds=settings.session_end_grace)
        self.deadlines = Deadlines(
            store, clock, self.fire, self.plan_all, reconcile=settings.timer_reconcile
        )
        self.seats: dict[str, TimerSeat] = {}
        self.end_hooks: list[EndHook] = []

    def on_end(self, hook: EndHook) -> None:
        """Run `hook(booking_id)` once when a session reaches its hard stop (on the process
        that fired it; a failing hook is logged and the others still run)."""
        self.end_hooks.append(hook)

    def register(self) -> None:
        self.session.on_join(self.joined)
        self.session.on_leave(self.left)
        events: list[tuple[str, Answering]] = [
            (ICE_REFRESH, answers(IceRefreshIn, self._told(ICE_REFRESH))(self.ice_refresh))
        ]
        for name in SERVER_ONLY:
            events.append((name, self._server_only(name)))
        for event, handler in events:
            guarded = self.session.limits.guard(handler, self._told(event))
            self.sio.on(event, handler=guarded, namespace=SESSION)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with (
            self.deadlines.running(),
            running(self.clock, {"timer-sync": (SYNC_EVERY, self.sync_all)}),
        ):
            yield

    # Planning

    def _timers(self, booking_id: str, ends_at: datetime) -> list[Due]:
        now = self.clock.now() - LATE_WARNING
        planned = deadlines(ends_at, self.settings.session_warnings, self.grace, now)
        return [Due(booking_id, f"{kind}|{_ms(ends_at)}", _ms(due)) for kind, due in planned]

    async def plan(self, timing: Timing) -> None:
        booking = str(timing.booking_id)
        if timing.live:
            await self.deadlines.store.plan(
                booking, self._timers(booking, timing.ends_at), self.deadlines.now_ms()
            )
        else:
            await self.deadlines.store.drop(booking)

    async def plan_all(self) -> None:
        """The planning pass (module docstring)."""
        now = self.clock.now()
        timings = await self.sessions.ending_between(now - CATCH_UP, now + HORIZON)
        for first in range(0, len(timings), PLAN_BATCH):
            await asyncio.gather(*(self.plan(t) for t in timings[first : first + PLAN_BATCH]))
        log.info("timers: %d sessions planned", len(timings))

    def following(self, close_room: CloseRoom) -> CloseRoom:
        """`close_room`, then the booking's timers follow the change (for `SocketRights`)."""

        async def close(booking_id: str, reason: Closed) -> None:
            await close_room(booking_id, reason)
            try:
                await self.replan(booking_id, reason)
            except Exception:
                log.exception("timers: %s not planned again (the next pass will)", booking_id)

        return close

    async def replan(self, booking_id: str, reason: Closed) -> None:
        """After a room closed for a change of its booking: its timers follow (the leader)."""
        if reason is Closed.ENDED or not self.deadlines.leading:
            return
        found = await self.sessions.timings([uuid.UUID(booking_id)])
        timing = found.get(uuid.UUID(booking_id))
        if timing is None:
            await self.deadlines.store.drop(booking_id)
        else:
            await self.plan(timing)

    # Firing

    async def fire(self, batch: list[Due]) -> None:
        """Tell the rooms of a claimed batch; end the sessions whose hard stop it holds."""
        ids = {uuid.UUID(due.booking) for due in batch}
        timings = await self.sessions.timings(sorted(ids))
        now_ms = self.deadlines.now_ms()
        for due in batch:
            kind, _, ends = due.name.partition("|")
            lateness = self.metrics.timer_lateness.labels("end" if kind == END else "warning")
            lateness.observe(max(0, now_ms - due.due_ms) / 1000)
            timing = timings.get(uuid.UUID(due.booking))
            if timing is None or not timing.live or str(_ms(timing.ends_at)) != ends:
                log.info("timers: %s of %s no longer applies", kind, due.booking)
                continue
            if kind == END:
                await self._end(timing)
                continue
            remaining = remaining_seconds(kind)
            if remaining is None or now_ms - due.due_ms > LATE_WARNING.total_seconds() * 1000:
                continue
            warning = TimerWarning(
                booking_id=due.booking, remaining_s=remaining, ends_at=utc_iso(timing.ends_at)
            )
            await self.sio.emit(
                TIMER_WARNING, warning, room=room_channel(due.booking), namespace=SESSION
            )

    async def _end(self, timing: Timing) -> None:
        await self.rights.close(timing.booking_id, Closed.ENDED)
        log.info("session %s: ended (time up)", timing.booking_id)
        for hook in self.end_hooks:
            try:
                await hook(timing.booking_id)
            except Exception:
                log.exception("session %s: an end hook failed", timing.booking_id)

    # The room's hooks

    async def joined(self, sid: str, caller: Principal, admission: Admission) -> dict[str, Any]:
        booking = str(admission.booking_id)
        try:
            await self.deadlines.store.plan(
                booking, self._timers(booking, admission.ends_at), self.deadlines.now_ms()
            )
        except Exception:
            # The socket is in the room already; the leader's next pass plans the booking.
            log.exception("timers: %s not planned at join", booking)
        media = has_media(admission.session_type)
        seat = TimerSeat(
            booking_id=booking,
            user_id=str(caller.user_id),
            ends_at=admission.ends_at,
            closes_at=admission.closes_at,
            media=media,
            ice_expires_at=self._ice_expiry() if media else None,
        )
        self.seats[sid] = seat
        return {"timer": self._sync(seat)}

    def left(self, sid: str) -> None:
        self.seats.pop(sid, None)

    async def sync_all(self) -> None:
        """`timer:sync` to every joined socket of this process."""
        for sid, seat in list(self.seats.items()):
            await self.sio.emit(
                TIMER_SYNC, self._sync(seat), to=sid, namespace=SESSION, ignore_queue=True
            )

    # Client events

    async def ice_refresh(self, sid: str, payload: IceRefreshIn) -> Ack:
        seat = self.seats.get(sid)
        if seat is None:
            raise BadRequest(Code.NOT_JOINED, "Join a session before asking for ICE servers.")
        if not seat.media:
            return ok(ice_servers=[], ice_expires_at=None)
        seat.ice_expires_at = self._ice_expiry()
        servers = ice_servers(self.settings, seat.user_id, self.clock.now())
        return ok(ice_servers=servers, ice_expires_at=_iso(seat.ice_expires_at))

    def _server_only(self, event: str) -> Answering:
        """The answer to a client sending `event`, whatever it carries: refused."""

        async def refuse(sid: str, raw: object = None) -> Ack:
            message = f"Only the server sends {event}: it keeps the session's time."
            ack = error_ack(Code.SERVER_EVENT, message)
            await self.session.tell(sid, event, ack)
            return ack

        return refuse

    # Helpers

    def _sync(self, seat: TimerSeat) -> TimerSync:
        return TimerSync(
            server_time=utc_iso(self.clock.now()),
            ends_at=utc_iso(seat.ends_at),
            closes_at=utc_iso(seat.closes_at),
            warnings=list(self.settings.session_warnings),
            ice_expires_at=_iso(seat.ice_expires_at),
        )

    def _ice_expiry(self) -> datetime | None:
        if not self.settings.turn_urls:
            return None
        now = int(self.clock.now().timestamp())
        return datetime.fromtimestamp(now + self.settings.turn_ttl, self.clock.now().tzinfo)

    def _told(self, event: str) -> Callable[[str, str, Ack], Awaitable[None]]:
        return lambda sid, _handler, ack: self.session.tell(sid, event, ack)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else utc_iso(moment)
