"""The call's microphone and camera state on `/session`: `media:state` from one side is told
to the rest of its room as `peer-media` (signalling/media_state_protocol.py). Nothing is kept
but the room seat of each socket of this process; delivery across processes is the socket.io
manager's, like chat's typing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import socketio

from booking.services.sessions import Admission
from realtime.auth.access import Principal
from realtime.errors import BadRequest, Code
from signalling.acks import Ack, Told, answers, ok
from signalling.media_state_protocol import MEDIA_STATE, PEER_MEDIA, MediaStateIn, PeerMedia
from signalling.protocol import SESSION
from signalling.rooms import room_channel
from signalling.session import SessionSignalling


@dataclass(frozen=True)
class MediaSeat:
    booking_id: str
    role: str


class MediaState:
    def __init__(self, sio: socketio.AsyncServer, session: SessionSignalling) -> None:
        self.sio = sio
        self.session = session
        self.seats: dict[str, MediaSeat] = {}

    def register(self) -> None:
        self.session.on_join(self.joined)
        self.session.on_leave(self.left)
        told = self._told()
        handler = answers(MediaStateIn, told)(self.state)
        self.sio.on(
            MEDIA_STATE, handler=self.session.limits.guard(handler, told), namespace=SESSION
        )

    async def joined(self, sid: str, caller: Principal, admission: Admission) -> dict[str, Any]:
        self.seats[sid] = MediaSeat(str(admission.booking_id), admission.role)
        return {}

    def left(self, sid: str) -> None:
        self.seats.pop(sid, None)

    async def state(self, sid: str, payload: MediaStateIn) -> Ack:
        seat = self.seats.get(sid)
        if seat is None:
            raise BadRequest(Code.NOT_JOINED, "Join a session first.")
        told = PeerMedia(
            role="coach" if seat.role == "coach" else "client",
            audio=payload.audio,
            video=payload.video,
        )
        await self.sio.emit(
            PEER_MEDIA, told, room=room_channel(seat.booking_id), skip_sid=sid, namespace=SESSION
        )
        return ok()

    def _told(self) -> Told:
        async def told(sid: str, _handler: str, ack: Ack) -> None:
            await self.session.tell(sid, MEDIA_STATE, ack)

        return told
