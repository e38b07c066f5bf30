"""The `/session` namespace: a session's coach and client meet in its room and relay WebRTC
signalling to each other, across server processes.

`join` asks the booking services whether the caller may enter now (booking.policy.sessions),
then takes the caller's place in presence (signalling.presence): the same place and `peer_id`
on every join of one participant, so a reconnecting participant takes over from their old
socket, which is told `taken_over` and closed, and the other side hears `peer-reconnected`. A
socket that drops leaves its place `away`; a timer gives it `RECONNECT_GRACE` seconds, then
removes it and tells the room `peer-left`. A node that crashes cannot run that timer: every node
beats in presence, and each node sweeps the rooms of its own sockets for members whose node
stopped beating or whose grace ran out. Removals are compare-and-set, so exactly one node tells.

Rights (signalling.rights): the token is checked at connect and again at every `join`; a
revoked login's sockets are disconnected, and a canceled or rescheduled booking's room emptied
(`close_room`, `session:closed`), by `SocketRights` on every process.

Other features of the room (the chat, signalling.chat) add to it through hooks: `on_join` hooks
run when a socket has joined and add fields to its ack, `on_leave` hooks when a joined socket
leaves or drops; this module knows nothing of what they do.

`signal` is the hot path: the seat is read from this process's `LocalRooms`, the bucket is
checked, the payload validated, and the message emitted straight to the target socket when it
is on this process (`ignore_queue`: no Redis publish) or to its `peer:<id>` socket.io room
through the Redis manager otherwise. No database or Redis read per signal.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import socketio
from pydantic import ValidationError

from booking.policy.sessions import has_media, room_has_space
from booking.services.sessions import Admission, Closed, Sessions
from media.ice import ice_servers
from realtime.auth.access import Authenticator, Principal
from realtime.clock import Clock
from realtime.errors import AppError, BadRequest, Code, Conflict
from realtime.settings import Settings
from signalling.acks import Ack, answers, error_ack, invalid, ok, refused
from signalling.limits import Flow, SocketLimits
from signalling.presence import Member, Presence
from signalling.protocol import (
    ERROR,
    PEER_JOINED,
    PEER_LEFT,
    PEER_RECONNECTED,
    SESSION,
    SIGNAL,
    ErrorEvent,
    JoinIn,
    LeaveIn,
    PeerInfo,
    PeerLeft,
    SessionAuth,
    SignalIn,
    utc_iso,
)
from signalling.rights import enter_rights_rooms
from signalling.rooms import LocalRooms, Seat, closing, peer_channel, room_channel
from signalling.timers import Timers

log = logging.getLogger(__name__)

# (sid, caller, admission) of a socket that has joined -> fields to add to its join ack.
JoinHook = Callable[[str, Principal, Admission], Awaitable[dict[str, Any]]]
# The sid of a joined socket that left its room or dropped.
LeaveHook = Callable[[str], None]


def peer_info(member: Member) -> PeerInfo:
    return {
        "peer_id": member.peer_id,
        "role": "coach" if member.role == "coach" else "client",
        "display_name": member.display_name,
        "via": "phone" if member.via == "phone" else "web",
    }


class SessionSignalling:
    """The namespace's handlers and its background work (`running()`)."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        settings: Settings,
        clock: Clock,
        authenticator: Authenticator,
        sessions: Sessions,
        presence: Presence,
        limits: SocketLimits,
    ) -> None:
        self.sio = sio
        self.settings = settings
        self.clock = clock
        self.authenticator = authenticator
        self.sessions = sessions
        self.presence = presence
        self.limits = limits
        self.node = uuid.uuid4().hex
        self.grace = float(settings.reconnect_grace)
        self.callers: dict[str, Principal] = {}
        self.tokens: dict[str, str] = {}  # sid -> the token it connected with, checked at join
        self.sockets_of: Counter[str] = Counter()  # user id -> sockets on this node
        self.local = LocalRooms()
        self.joining: dict[str, str] = {}  # sid -> booking id, while its join is under way
        self.interrupted: set[str] = set()  # sids whose join's room closed meanwhile
        self.timers = Timers(clock)
        self.join_hooks: list[JoinHook] = []
        self.leave_hooks: list[LeaveHook] = []

    def on_join(self, hook: JoinHook) -> None:
        self.join_hooks.append(hook)

    def on_leave(self, hook: LeaveHook) -> None:
        self.leave_hooks.append(hook)

    def register(self) -> None:
        on = self.sio.on
        on("connect", handler=self.connect, namespace=SESSION)
        on("disconnect", handler=self.disconnect, namespace=SESSION)
        guard = self.limits.guard
        on(
            "join",
            handler=guard(answers(JoinIn, self.tell)(self.join), self.tell),
            namespace=SESSION,
        )
        on("signal", handler=self.signal, namespace=SESSION)  # its own bucket (SIGNAL_RATE)
        on(
            "leave",
            handler=guard(answers(LeaveIn, self.tell)(self.leave), self.tell),
            namespace=SESSION,
        )
        on("*", handler=self.limits.guard_any(self.unknown), namespace=SESSION)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Beat (and sweep) every quarter of the grace period while the app runs."""
        await self.presence.beat(self.node, self._now())
        self.timers.after("heartbeat", self.grace / 4, self._heartbeat)
        try:
            yield
        finally:
            await self.timers.close()
            try:
                await self.presence.forget_node(self.node)
            finally:
                await self.presence.close()

    # Connecting

    async def connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            token = SessionAuth.model_validate(auth or {}).token
            principal = await self.authenticator.socket_principal(token, phone=True)
            # A phone call's bridge connects from this server itself: its own address is not
            # a client's (the per-user cap and the process's PHONE_MAX_CALLS still apply).
            bridge = principal.scope == "phone"
            self.limits.admit(sid, environ, str(principal.user_id), by_address=not bridge)
            try:
                await enter_rights_rooms(self.sio, sid, SESSION, principal)
                await self.presence.mark_online(
                    self.node, {str(principal.user_id)}, self._now(), self.grace
                )
            except BaseException:
                self.limits.release(sid)
                raise
        except ValidationError:
            raise refused(Code.BAD_PAYLOAD, "auth: expected {token: <access token>}") from None
        except AppError as exc:
            raise refused(exc.code, exc.message) from None
        except Exception:
            log.exception("session connect failed")
            raise refused(Code.INTERNAL, "Something went wrong on our side.") from None
        self.callers[sid] = principal
        self.tokens[sid] = token
        self.sockets_of[str(principal.user_id)] += 1
        self.timers.after(f"join:{sid}", self.settings.join_timeout, lambda: self._unjoined(sid))

    async def disconnect(self, sid: str, reason: object = None) -> None:
        self.limits.release(sid)
        caller = self.callers.pop(sid, None)
        self.tokens.pop(sid, None)
        self.timers.cancel(f"join:{sid}")
        seat = self.local.remove(sid)
        if seat is not None:
            self._left(sid)
        try:
            if caller is not None:
                await self._offline(str(caller.user_id))
            if seat is not None:
                await self._away(sid, seat)
        except Exception:
            # The heartbeat's sweep removes the place after the grace period all the same.
            log.exception("session disconnect not recorded")

    async def _offline(self, user: str) -> None:
        self.sockets_of[user] -= 1
        if self.sockets_of[user] <= 0:
            del self.sockets_of[user]
            await self.presence.mark_offline(self.node, user)

    async def _away(self, sid: str, seat: Seat) -> None:
        """Keep the seat's place for the grace period, unless a newer socket holds it."""
        place = (await self.presence.members(seat.booking_id)).get(seat.user_id)
        if place is None or place.sid != sid:
            return  # taken over by a newer socket, or already gone
        away = place.away(self._now())
        if await self.presence.replace(seat.booking_id, place, away):
            self.timers.after(
                f"grace:{seat.booking_id}:{seat.user_id}",
                self.grace,
                lambda: self._remove(seat.booking_id, away, "timeout"),
            )

    async def _unjoined(self, sid: str) -> None:
        if sid in self.callers and sid not in self.local.seats:
            message = f"No session joined within {self.settings.join_timeout} s; closing."
            await self.tell(sid, "join", error_ack(Code.JOIN_TIMEOUT, message))
            await self.sio.disconnect(sid, namespace=SESSION)

    # Client events

    async def join(self, sid: str, payload: JoinIn) -> Ack:
        # A room closed while the join is under way (admission may have read the booking before
        # the cancel committed) marks it: it is checked before the seat is taken, with no
        # await in between, and a closing after that finds the seat.
        self.joining[sid] = str(payload.booking_id)
        try:
            return await self._join(sid, payload)
        finally:
            del self.joining[sid]
            self.interrupted.discard(sid)

    async def _join(self, sid: str, payload: JoinIn) -> Ack:
        if sid in self.local.seats:
            raise BadRequest(Code.ALREADY_JOINED, "This socket is in a session room; leave first.")
        # What let the socket in must still hold: its login, its token's version and expiry,
        # the account, the scope.
        caller = await self.authenticator.socket_principal(self.tokens[sid], phone=True)
        self.callers[sid] = caller
        admission = await self.sessions.admit(caller.user_id, payload.booking_id)
        room, user = str(admission.booking_id), str(caller.user_id)
        now = self._now()
        members = await self.presence.members(room)
        nodes = await self.presence.nodes() if members else {}
        mine = members.pop(user, None)
        others = [m for m in members.values() if not m.gone(nodes, now, self.grace)]
        if not room_has_space(admission.session_type, len(others)):
            raise BadRequest(Code.ROOM_FULL, "This session's room is full.")
        taking_over = mine is not None and not mine.gone(nodes, now, self.grace)
        member = Member(
            user_id=user,
            peer_id=mine.peer_id if mine is not None and taking_over else secrets.token_urlsafe(8),
            role=admission.role,
            display_name=caller.display_name,
            sid=sid,
            node=self.node,
            via="phone" if caller.scope == "phone" else "web",
        )
        keep = admission.closes_at.timestamp() - now + self.grace
        before = await self.presence.swap(room, member, keep)
        self.timers.cancel(f"join:{sid}")
        self.timers.cancel(f"grace:{room}:{user}")
        await self.sio.enter_room(sid, room_channel(room), namespace=SESSION)
        await self.sio.enter_room(sid, peer_channel(member.peer_id), namespace=SESSION)
        if sid in self.interrupted:
            await self._undo_join(sid, room, member)
            raise Conflict(
                Code.SESSION_CLOSED,
                "The room closed while you were joining (the booking was canceled or moved).",
            )
        self.local.add(
            Seat(
                sid=sid,
                booking_id=room,
                user_id=user,
                peer_id=member.peer_id,
                role=member.role,
                display_name=member.display_name,
                peers={m.peer_id for m in others},
            )
        )
        for seat in self.local.seats_in(room):
            if seat.sid != sid:
                # The room's earlier joiners on this process know the newcomer at once: their
                # first signal to it needs no read of presence.
                seat.peers.add(member.peer_id)
        if before is not None and before.sid not in (None, sid):
            await self._close_replaced(before.sid)
        if before is not None and not taking_over:
            await self._tell_room(
                room, PEER_LEFT, PeerLeft(peer_id=before.peer_id, reason="timeout")
            )
        event = PEER_RECONNECTED if taking_over else PEER_JOINED
        await self._tell_room(room, event, peer_info(member), skip_sid=sid)
        log.info("session %s: %s joined (%s)", room, member.role, event)
        added: dict[str, Any] = {}
        for hook in self.join_hooks:
            added |= await hook(sid, caller, admission)
        media = has_media(admission.session_type)
        return ok(
            peer_id=member.peer_id,
            role=member.role,
            session_type=admission.session_type,
            peers=[peer_info(m) for m in others],
            ice_servers=ice_servers(self.settings, user, self.clock.now()) if media else [],
            starts_at=utc_iso(admission.starts_at),
            ends_at=utc_iso(admission.ends_at),
            **added,
        )

    async def signal(self, sid: str, raw: object = None) -> Ack:
        """Relay a description or candidate to a peer of the sender's room (the hot path)."""
        seat = self.local.seats.get(sid)
        if seat is None:
            return await self._refuse(sid, Code.NOT_JOINED, "Join a session before signalling.")
        if not self.limits.allow(sid, Flow.SIGNALS):
            ack = self.limits.over(Flow.SIGNALS)
            await self.tell(sid, SIGNAL, ack)
            return ack
        try:
            target = SignalIn.model_validate(raw).to
        except ValidationError as exc:
            ack = invalid(exc)
            await self.tell(sid, SIGNAL, ack)
            return ack
        try:
            if target not in seat.peers and not await self._knows(seat, target):
                message = f"No peer {target[:64]!r} in your session room."
                return await self._refuse(sid, Code.PEER_NOT_FOUND, message)
            assert isinstance(raw, dict)  # validated as an object above
            relayed = {"from": seat.peer_id, **raw}
            del relayed["to"]
            local = self.local.sockets.get(target)
            if local is not None:
                await self.sio.emit(SIGNAL, relayed, to=local, namespace=SESSION, ignore_queue=True)
            else:
                await self.sio.emit(SIGNAL, relayed, room=peer_channel(target), namespace=SESSION)
        except Exception:
            log.exception("signal failed")
            return await self._refuse(sid, Code.INTERNAL, "Something went wrong on our side.")
        return {"ok": True}

    async def leave(self, sid: str, payload: LeaveIn) -> Ack:
        seat = self.local.remove(sid)
        if seat is None:
            raise BadRequest(Code.NOT_JOINED, "This socket is in no session room.")
        self._left(sid)
        place = await self._unseat(seat)
        if place is not None:
            await self._remove(seat.booking_id, place, "left")
        return ok()

    async def close_room(self, booking_id: str, reason: Closed) -> None:
        """Put this process's seats of the booking's room out of it, telling them why (run on
        every process by `SocketRights` after a cancel or a reschedule, or at the hard stop)."""
        # Taken out of the relay's view before the first await: no signal passes after this.
        seats = [self.local.remove(seat.sid) for seat in self.local.seats_in(booking_id)]
        self.interrupted.update(sid for sid, room in self.joining.items() if room == booking_id)
        event, told = closing(booking_id, reason)
        for seat in seats:
            assert seat is not None  # listed by seats_in just above
            self._left(seat.sid)
            try:
                place = await self._unseat(seat)
                if place is not None:
                    await self.presence.replace(booking_id, place, None)
                await self.sio.emit(event, told, to=seat.sid, namespace=SESSION, ignore_queue=True)
            except Exception:
                # Out of the relay already; the next seat is still told.
                log.exception("session %s: %s not told of the closing", booking_id, seat.role)
                continue
            log.info("session %s: %s put out (%s)", booking_id, seat.role, reason)

    async def _undo_join(self, sid: str, room: str, member: Member) -> None:
        """A join that lost the race with a closing room: out again, as if never in."""
        await self.sio.leave_room(sid, room_channel(room), namespace=SESSION)
        await self.sio.leave_room(sid, peer_channel(member.peer_id), namespace=SESSION)
        await self.presence.replace(room, member, None)
        self.timers.after(f"join:{sid}", self.settings.join_timeout, lambda: self._unjoined(sid))

    async def _unseat(self, seat: Seat) -> Member | None:
        """Out of the room's socket.io rooms (the seat is already out of `local`); the
        seat's place in presence if this socket still holds it. The socket stays connected,
        in no room: the join timeout applies once more."""
        sid = seat.sid
        await self.sio.leave_room(sid, room_channel(seat.booking_id), namespace=SESSION)
        await self.sio.leave_room(sid, peer_channel(seat.peer_id), namespace=SESSION)
        self.timers.after(f"join:{sid}", self.settings.join_timeout, lambda: self._unjoined(sid))
        place = (await self.presence.members(seat.booking_id)).get(seat.user_id)
        return place if place is not None and place.sid == sid else None

    async def unknown(self, event: str, sid: str, *_: object) -> Ack:
        ack = error_ack(Code.UNKNOWN_EVENT, f"{SESSION} has no event {event[:60]!r}.")
        await self.tell(sid, event[:60], ack)
        return ack

    def _left(self, sid: str) -> None:
        for hook in self.leave_hooks:
            hook(sid)

    # Telling

    async def tell(self, sid: str, event: str, ack: Ack) -> None:
        """The `error` event for a refused client event (the socket is on this process)."""
        told = ErrorEvent(code=ack["error"]["code"], message=ack["error"]["message"], event=event)
        await self.sio.emit(ERROR, told, to=sid, namespace=SESSION, ignore_queue=True)

    async def _refuse(self, sid: str, code: Code, message: str) -> Ack:
        ack = error_ack(code, message)
        await self.tell(sid, SIGNAL, ack)
        return ack

    async def _tell_room(
        self, room: str, event: str, payload: Any, *, skip_sid: str | None = None
    ) -> None:
        await self.sio.emit(
            event, payload, room=room_channel(room), skip_sid=skip_sid, namespace=SESSION
        )

    async def _close_replaced(self, old_sid: str) -> None:
        """Tell the socket that held the place, wherever it is, and close it."""
        told = ErrorEvent(
            code=Code.TAKEN_OVER.value,
            message="You joined this session from another connection.",
            event=None,
        )
        await self.sio.emit(ERROR, told, to=old_sid, namespace=SESSION)
        await self.sio.disconnect(old_sid, namespace=SESSION)

    # Presence upkeep

    async def _remove(self, room: str, member: Member, reason: Literal["left", "timeout"]) -> None:
        """Take `member` out of the room if it still holds its place as `member`; tell the room."""
        if await self.presence.replace(room, member, None):
            left = PeerLeft(
                peer_id=member.peer_id, reason="left" if reason == "left" else "timeout"
            )
            await self._tell_room(room, PEER_LEFT, left)
            log.info("session %s: %s left (%s)", room, member.role, reason)

    async def _knows(self, seat: Seat, peer_id: str) -> bool:
        """Whether `peer_id` is in the seat's room, reading presence (a newcomer)."""
        members = await self.presence.members(seat.booking_id)
        seat.peers = {m.peer_id for m in members.values() if m.user_id != seat.user_id}
        return peer_id in seat.peers

    async def _heartbeat(self) -> None:
        """Beat, refresh the online markers, and sweep the rooms this node has sockets in.

        In batches of HEARTBEAT_BATCH users or rooms, one Redis round trip each: encoding or
        decoding a thousand at once holds the event loop for tens of milliseconds, which every
        signal relayed meanwhile waits out (the benchmark's p99 at 1,000 connections)."""
        self.timers.after("heartbeat", self.grace / 4, self._heartbeat)
        now = self._now()
        await self.presence.beat(self.node, now)
        for users in _batches(sorted(self.sockets_of)):
            await self.presence.mark_online(self.node, set(users), now, self.grace)
        rooms = self.local.rooms()
        if not rooms:
            return
        nodes = await self.presence.nodes()
        for batch in _batches(sorted(rooms)):
            for room, members in (await self.presence.everyone(batch)).items():
                for member in members.values():
                    if member.gone(nodes, now, self.grace):
                        await self._remove(room, member, "timeout")

    def _now(self) -> float:
        return self.clock.now().timestamp()


HEARTBEAT_BATCH = 100


def _batches(items: list[str]) -> Iterator[list[str]]:
    for first in range(0, len(items), HEARTBEAT_BATCH):
        yield items[first : first + HEARTBEAT_BATCH]
