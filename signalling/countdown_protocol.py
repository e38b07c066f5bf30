"""The session-time events of `/session` (signalling/countdown.py), declared for
signalling/protocol.py, which lists them in the namespace (through signalling/room_protocol.py)
and writes them into `docs/protocol.md`.

The server keeps the time: `timer:*` and `session:ended` only ever come from it, and a client
that sends one is refused (`server_event`).
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict

from realtime.errors import Code
from signalling.protodoc import ClientEvent, Doc, ServerEvent

TIMER_SYNC, TIMER_WARNING, SESSION_ENDED, ICE_REFRESH = (
    "timer:sync",
    "timer:warning",
    "session:ended",
    "ice:refresh",
)
SERVER_ONLY = (TIMER_SYNC, TIMER_WARNING, SESSION_ENDED)


class IceRefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerOnlyIn(BaseModel):
    """Anything: the event is refused whatever it carries."""

    model_config = ConfigDict(extra="allow")


class IceServer(TypedDict):
    urls: Annotated[list[str], Doc("STUN or TURN URLs (`stun:`, `turn:`, `turns:`).")]
    username: NotRequired[Annotated[str, Doc("TURN only: `<expiry unix time>:<user id>`.")]]
    credential: NotRequired[
        Annotated[str, Doc("TURN only: the time-limited password for `username`.")]
    ]


class NeverAck(TypedDict):
    ok: Annotated[Literal[False], Doc("Always `false`: the answer is an `ErrorAck`.")]


class TimerSync(TypedDict):
    server_time: Annotated[
        str, Doc("The server's clock when this was sent, UTC ISO 8601: count down from it.")
    ]
    ends_at: Annotated[str, Doc("The session's booked end.")]
    closes_at: Annotated[
        str, Doc("The hard stop (`ends_at` + `SESSION_END_GRACE`): `session:ended` then.")
    ]
    warnings: Annotated[list[int], Doc("Seconds before `ends_at` at which `timer:warning` comes.")]
    ice_expires_at: Annotated[
        str | None,
        Doc("When the TURN credentials you hold expire (null: no TURN): `ice:refresh` before."),
    ]


class TimerWarning(TypedDict):
    booking_id: Annotated[str, Doc("The session (UUID).")]
    remaining_s: Annotated[int, Doc("Seconds left until `ends_at` (300, 60 by default).")]
    ends_at: Annotated[str, Doc("The session's booked end, UTC ISO 8601.")]


class SessionEnded(TypedDict):
    booking_id: Annotated[str, Doc("The session that ended (UUID).")]
    reason: Annotated[
        Literal["time_up"], Doc("`time_up`: its time and the grace after it ran out.")
    ]


class IceRefreshAck(TypedDict):
    ok: Annotated[Literal[True], Doc("Fresh credentials follow.")]
    ice_servers: Annotated[
        list[IceServer], Doc("Give these to `pc.setConfiguration({iceServers})`.")
    ]
    ice_expires_at: Annotated[str | None, Doc("When these TURN credentials expire.")]


BOOKING_ID = "9b1f6c1e-2d0a-4f4e-8a57-3c1d2e4f5a6b"
SYNC_EXAMPLE = {
    "server_time": "2026-03-10T13:45:00.120Z",
    "ends_at": "2026-03-10T13:50:00Z",
    "closes_at": "2026-03-10T13:52:00Z",
    "warnings": [300, 60],
    "ice_expires_at": "2026-03-10T14:45:00Z",
}
SERVER_EVENT = (Code.SERVER_EVENT, "the server sends this event; a client may not")

COUNTDOWN_CLIENT_EVENTS = (
    ClientEvent(
        name=ICE_REFRESH,
        summary="Fresh ICE servers (new TURN credentials) for the room you are in: ask before "
        "`ice_expires_at` (of the join ack's `timer` or the last `timer:sync`), then "
        "`pc.setConfiguration`, so an ICE restart late in a long session still finds a relay.",
        payload=IceRefreshIn,
        example={},
        ack=IceRefreshAck,
        errors=((Code.NOT_JOINED, "`join` first"),),
    ),
    *(
        ClientEvent(
            name=name,
            summary="Refused: only the server keeps the session's time.",
            payload=ServerOnlyIn,
            example={},
            ack=NeverAck,
            errors=(SERVER_EVENT,),
        )
        for name in SERVER_ONLY
    ),
)

COUNTDOWN_SERVER_EVENTS = (
    ServerEvent(
        name=TIMER_SYNC,
        summary="The server's time and the session's end, so every client shows the same "
        "countdown whatever its own clock says: in the join ack (`timer`), and to each socket "
        "in a room every minute. A reschedule closes the room "
        "(`session:closed`); the join that follows brings the new times.",
        payload=TimerSync,
        example=SYNC_EXAMPLE,
    ),
    ServerEvent(
        name=TIMER_WARNING,
        summary="The session ends in `remaining_s` seconds (`SESSION_WARNINGS`: 5 and 1 minute "
        "before the end). Sent once per warning, by one server, to everyone in the room.",
        payload=TimerWarning,
        example={"booking_id": BOOKING_ID, "remaining_s": 300, "ends_at": SYNC_EXAMPLE["ends_at"]},
    ),
    ServerEvent(
        name=SESSION_ENDED,
        summary="The hard stop (`closes_at`): you are out of the room (the other side too), "
        "its chat is closed, and `join` answers `session_over` from now on. The socket stays "
        "connected.",
        payload=SessionEnded,
        example={"booking_id": BOOKING_ID, "reason": "time_up"},
    ),
)
