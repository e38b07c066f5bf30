"""This process's share of the session rooms: which of its sockets hold which place.

The authoritative state is `signalling.presence` (Redis in production); this is what the relay
path reads without a round trip: the socket's seat (room, peer id, the peer ids known to be in
its room) and, for sockets on this process, peer id → socket id, so a signal between two peers
on one node never leaves it. A peer's `peer_id` never changes for a booking, and only the
booking's two participants ever get one, so a cached peer set can only be missing a newcomer:
a newcomer joining on this process is added to the room's seats here (`seats_in`); one joining
on another process is learnt by one read of presence on the first signal to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from booking.services.sessions import Closed
from signalling.countdown_protocol import SESSION_ENDED, SessionEnded
from signalling.protocol import SESSION_CLOSED, SessionClosed


def room_channel(booking_id: str) -> str:
    """The socket.io room of everyone in a session's room (for peer-joined, peer-left, ...)."""
    return f"room:{booking_id}"


def peer_channel(peer_id: str) -> str:
    """The socket.io room of the one socket holding a place: signals reach it on any node."""
    return f"peer:{peer_id}"


def closing(booking_id: str, reason: Closed) -> tuple[str, SessionClosed | SessionEnded]:
    """What the sockets put out of a closing room are told: `session:ended` at the hard stop,
    `session:closed` after a cancel or a reschedule."""
    if reason is Closed.ENDED:
        return SESSION_ENDED, SessionEnded(booking_id=booking_id, reason="time_up")
    if reason is Closed.CANCELED:
        return SESSION_CLOSED, SessionClosed(booking_id=booking_id, reason="canceled")
    return SESSION_CLOSED, SessionClosed(booking_id=booking_id, reason="rescheduled")


@dataclass(eq=False)
class Seat:
    sid: str
    booking_id: str
    user_id: str
    peer_id: str
    role: str
    display_name: str
    peers: set[str] = field(default_factory=set)


class LocalRooms:
    def __init__(self) -> None:
        self.seats: dict[str, Seat] = {}
        self.sockets: dict[str, str] = {}  # peer id -> sid, for seats on this process
        self.by_room: dict[str, dict[str, Seat]] = {}  # booking id -> sid -> seat

    def add(self, seat: Seat) -> None:
        self.seats[seat.sid] = seat
        self.sockets[seat.peer_id] = seat.sid
        self.by_room.setdefault(seat.booking_id, {})[seat.sid] = seat

    def remove(self, sid: str) -> Seat | None:
        seat = self.seats.pop(sid, None)
        if seat is None:
            return None
        if self.sockets.get(seat.peer_id) == sid:
            del self.sockets[seat.peer_id]
        room = self.by_room.get(seat.booking_id, {})
        room.pop(sid, None)
        if not room:
            self.by_room.pop(seat.booking_id, None)
        return seat

    def seats_in(self, booking_id: str) -> list[Seat]:
        """This process's seats in a session's room."""
        return list(self.by_room.get(booking_id, {}).values())

    def rooms(self) -> set[str]:
        return set(self.by_room)
