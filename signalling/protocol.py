"""Every socket.io payload, declared once: the handlers validate with these models and
`docs/protocol.md` is generated from them (`python -m signalling.protocol > docs/protocol.md`;
a test fails when the file is stale).

Incoming payloads are pydantic models with `extra="forbid"` (socket.io hands us parsed JSON, so
UUIDs and times arrive as strings and are not `strict`); outgoing ones are `TypedDict`s, their
fields described with `Annotated[..., Doc("...")]`. A namespace is declared as a `Namespace`
(signalling/protodoc.py) listing its connect rules and events; add it to `NAMESPACES` and
regenerate the document.
"""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, NotRequired, Self, TypedDict

from pydantic import BaseModel, ConfigDict, Field, model_validator

from realtime.errors import Code
from signalling.chat_protocol import ChatJoin
from signalling.countdown_protocol import IceServer, TimerSync
from signalling.notifications_protocol import NOTIFICATION_EVENT
from signalling.protodoc import ClientEvent, Doc, Namespace, ServerEvent, document
from signalling.room_protocol import ROOM_CLIENT_EVENTS, ROOM_SERVER_EVENTS


class Incoming(BaseModel):
    """Base of every payload a client sends: unknown fields are refused, never ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Answers and errors, shared by every namespace.


class ErrorBody(TypedDict):
    code: Annotated[str, Doc("Stable error code; clients branch on it.")]
    message: Annotated[str, Doc("What went wrong, in English, for people.")]


class OkAck(TypedDict):
    ok: Annotated[Literal[True], Doc("The event was accepted.")]


class ErrorAck(TypedDict):
    ok: Annotated[Literal[False], Doc("The event was refused; nothing changed.")]
    error: Annotated[ErrorBody, Doc("Why.")]


class ConnectError(TypedDict):
    message: Annotated[str, Doc("Why the connection was refused.")]
    data: Annotated[ErrorBody, Doc("The same, with its stable code.")]


def utc_iso(moment: datetime) -> str:
    """A time as the HTTP API writes it: UTC, ISO 8601, `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# /availability: who is told when a coach's slots change.

AVAILABILITY = "/availability"
SLOTS_CHANGED = "slots:changed"
MAX_WATCHES = 20
REASONS = ("held", "booked", "released", "schedule", "imported")


class AvailabilityAuth(Incoming):
    token: str | None = Field(
        None,
        max_length=4096,
        description="An access token, as in `Authorization: Bearer`; leave out to watch "
        "anonymously.",
    )


class WatchIn(Incoming):
    coach_id: uuid.UUID = Field(description="A listed coach's id.")


class UnwatchIn(Incoming):
    coach_id: uuid.UUID = Field(description="A coach this socket watches.")


class SlotsChanged(TypedDict):
    coach_id: Annotated[str, Doc("The coach whose calendar changed (UUID).")]
    start: Annotated[
        str,
        Doc(
            "Start of the changed time, UTC ISO 8601: the session's own time (buffers "
            "excluded), or for `schedule` the time the coach's change affects."
        ),
    ]
    end: Annotated[str, Doc("End of the changed time (exclusive), UTC ISO 8601.")]
    reason: Annotated[
        str,
        Doc(
            "`held` (a client is paying for it), `booked` (paid), `released` (a hold expired or "
            "a booking was canceled or moved away), `schedule` (the coach changed their hours) "
            "or `imported` (their own calendar's busy time changed); any other: a change too."
        ),
    ]


COACH_ID = "3f2b8f9e-5a53-4b8e-9a55-0c6b2f1d7e41"

AVAILABILITY_NAMESPACE = Namespace(
    path=AVAILABILITY,
    summary="A client viewing a coach's calendar is told at once when a slot is held, booked "
    "or released, so nobody starts paying for a slot that just went. On an event, fetch "
    "`GET /api/coaches/{id}/slots` again for the window it names. Events reach viewers on "
    "every server process (Redis fan-out). A socket that reconnects must `watch` again.",
    usage="""\
const socket = io("/availability", { auth: { token } }); // auth is optional here
socket.on("slots:changed", ({ coach_id, start, end, reason }) => refetchSlots(coach_id));
socket.on("connect", async () => {
  const ack = await socket.emitWithAck("watch", { coach_id });
  if (!ack.ok) showError(ack.error.code, ack.error.message);
});
""",
    auth=AvailabilityAuth,
    connect_errors=(
        (Code.TOKEN_INVALID, "the token is not valid or was revoked"),
        (Code.TOKEN_EXPIRED, "the token has expired; refresh it and connect again"),
        (Code.ACCOUNT_DISABLED, "the account is disabled"),
        (Code.TWO_FACTOR_SETUP_REQUIRED, "the token is scoped to two-factor setup only"),
        (Code.BAD_PAYLOAD, "`auth` is not an object with the fields above"),
        (Code.TOO_MANY_SOCKETS, "`SOCKETS_PER_ADDRESS` or `SOCKETS_PER_USER` already open"),
    ),
    client_events=(
        ClientEvent(
            name="watch",
            summary="Start receiving `slots:changed` for this coach. Watching a coach twice is "
            f"harmless. A socket watches at most {MAX_WATCHES} coaches.",
            payload=WatchIn,
            example={"coach_id": COACH_ID},
            ack=OkAck,
            errors=(
                (Code.COACH_NOT_FOUND, "no listed coach has this id"),
                (Code.TOO_MANY_WATCHES, f"this socket already watches {MAX_WATCHES} coaches"),
            ),
        ),
        ClientEvent(
            name="unwatch",
            summary="Stop receiving events for this coach (answered `ok` even if it was not "
            "watched).",
            payload=UnwatchIn,
            example={"coach_id": COACH_ID},
            ack=OkAck,
        ),
    ),
    server_events=(
        ServerEvent(
            name=SLOTS_CHANGED,
            summary="Sent to every socket watching the coach when time in their calendar was "
            "taken or freed.",
            payload=SlotsChanged,
            example={
                "coach_id": COACH_ID,
                "start": "2026-03-10T13:00:00Z",
                "end": "2026-03-10T13:50:00Z",
                "reason": "held",
            },
        ),
        NOTIFICATION_EVENT,
    ),
)

# /session: the signalling of a live session between its coach and its client.

SESSION = "/session"
JOIN, SIGNAL, LEAVE = "join", "signal", "leave"
PEER_JOINED, PEER_LEFT, PEER_RECONNECTED, ERROR = (
    "peer-joined",
    "peer-left",
    "peer-reconnected",
    "error",
)
SESSION_CLOSED = "session:closed"
MAX_SDP = 32_000
MAX_CANDIDATE = 1_024
MAX_PEER_ID = 64


class SessionAuth(Incoming):
    token: str = Field(
        min_length=1, max_length=4096, description="An access token, as in `Authorization: Bearer`."
    )


class JoinIn(Incoming):
    booking_id: uuid.UUID = Field(description="The booking whose session to join.")


class SessionDescription(BaseModel):
    """An `RTCSessionDescriptionInit`, as the browser makes it (not stripped: SDP ends in CRLF)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["offer", "answer", "pranswer", "rollback"] = Field(description="SDP type.")
    sdp: str = Field("", max_length=MAX_SDP, description=f"The SDP, at most {MAX_SDP} characters.")


class IceCandidate(BaseModel):
    """An `RTCIceCandidateInit`; `candidate: ""` marks the end of candidates."""

    model_config = ConfigDict(extra="forbid")
    candidate: str = Field(
        max_length=MAX_CANDIDATE, description=f"The candidate line, at most {MAX_CANDIDATE}."
    )
    sdpMid: str | None = Field(None, max_length=64, description="Media stream id.")
    sdpMLineIndex: int | None = Field(None, ge=0, le=255, description="Index of the m-line.")
    usernameFragment: str | None = Field(None, max_length=256, description="ICE ufrag.")


class SignalIn(Incoming):
    to: str = Field(
        min_length=1, max_length=MAX_PEER_ID, description="The `peer_id` of a peer in your room."
    )
    description: SessionDescription | None = Field(None, description="An offer or answer.")
    candidate: IceCandidate | None = Field(None, description="A trickled ICE candidate.")

    @model_validator(mode="after")
    def _carries_something(self) -> Self:
        if self.description is None and self.candidate is None:
            raise ValueError("send a description or a candidate")
        return self


class LeaveIn(Incoming):
    pass


class PeerInfo(TypedDict):
    peer_id: Annotated[str, Doc("The peer's id in this room; it stays the same on reconnect.")]
    role: Annotated[Literal["coach", "client"], Doc("The peer's part in the session.")]
    display_name: Annotated[str, Doc("The name to show.")]
    via: Annotated[
        Literal["web", "phone"],
        Doc("`phone`: the peer is a caller on a telephone, bridged by the server (audio only)."),
    ]


class JoinAck(TypedDict):
    ok: Annotated[Literal[True], Doc("You are in the room.")]
    peer_id: Annotated[str, Doc("Your own id in the room (the `from` others see).")]
    role: Annotated[Literal["coach", "client"], Doc("Your part in the session.")]
    session_type: Annotated[str, Doc("`video`, `phone` or `chat`.")]
    peers: Annotated[list[PeerInfo], Doc("Who else is in the room now.")]
    ice_servers: Annotated[
        list[IceServer],
        Doc("Give these to `new RTCPeerConnection({iceServers})`; none for a `chat` session."),
    ]
    starts_at: Annotated[str, Doc("The session's start, UTC ISO 8601.")]
    ends_at: Annotated[str, Doc("The session's end; the room closes at `timer.closes_at`.")]
    chat: Annotated[
        ChatJoin, Doc("Where the room's chat stands: fetch what you miss with `chat:history`.")
    ]
    timer: Annotated[TimerSync, Doc("The session's time, as `timer:sync` brings it.")]


# Functional form: `from` is a Python keyword.
SignalOut = TypedDict(
    "SignalOut",
    {
        "from": Annotated[str, Doc("The sending peer's `peer_id`.")],
        "description": NotRequired[Annotated[SessionDescription, Doc("As sent.")]],
        "candidate": NotRequired[Annotated[IceCandidate, Doc("As sent.")]],
    },
)


class PeerLeft(TypedDict):
    peer_id: Annotated[str, Doc("Who left.")]
    reason: Annotated[
        Literal["left", "timeout"],
        Doc("`left` (they said so) or `timeout` (gone, not back within the grace period)."),
    ]


class SessionClosed(TypedDict):
    booking_id: Annotated[str, Doc("The booking whose room you are no longer in (UUID).")]
    reason: Annotated[
        Literal["canceled", "rescheduled"],
        Doc(
            "`canceled` (nobody can join again) or `rescheduled` (join again from "
            "`JOIN_EARLY_MINUTES` before the new start: fetch the booking for its times)."
        ),
    ]


class ErrorEvent(TypedDict):
    code: Annotated[str, Doc("Stable error code; clients branch on it.")]
    message: Annotated[str, Doc("What went wrong, in English, for people.")]
    event: Annotated[str | None, Doc("The client event that was refused, if any.")]


BOOKING_ID = "9b1f6c1e-2d0a-4f4e-8a57-3c1d2e4f5a6b"
SDP_EXAMPLE = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n..."
CANDIDATE_EXAMPLE = {
    "candidate": "candidate:1 1 UDP 2122252543 192.0.2.7 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}

SESSION_NAMESPACE = Namespace(
    path=SESSION,
    summary="A live session's coach and client `join` its room and exchange WebRTC offers, "
    "answers and ICE candidates with `signal`, whatever server node each is connected to. Only "
    "the booking's two participants get in, only while the booking is confirmed and from "
    "`JOIN_EARLY_MINUTES` (10) before its start until its end. A participant whose socket drops "
    "keeps their place (and `peer_id`) for `RECONNECT_GRACE` (20 s): joining again from a new "
    "socket takes it back, closes the old socket and tells the other side `peer-reconnected` "
    "(restart ICE, or negotiate a new connection); otherwise the other side gets `peer-left`. "
    "Every refused event is also told as an `error` event, so fire-and-forget `signal`s learn "
    "of refusals too. Signals are limited to `SIGNAL_RATE` per second per socket; a socket that "
    "has not joined within `JOIN_TIMEOUT` seconds is closed. Messages over 64 KiB close the "
    "socket (Engine.IO's limit). The token is checked at connect and again at every `join`; "
    "a logout, a logout everywhere or a disabled account closes the sockets opened with the "
    "revoked tokens at once, and a canceled or rescheduled booking empties its room "
    "(`session:closed`), on every server node. "
    "Beside the call (and alone, in a `chat` session) the room has a chat: messages are "
    "stored, numbered by `seq` per room with no gap, kept after the session, and delivered "
    "to the room on every server node. python-socketio has no connection-state recovery, so "
    "a client that reconnects (to any node) catches up itself: the join ack's `chat.last_seq` "
    "and `chat:history` give exactly what it missed.",
    usage="""\
const socket = io("/session", { auth: { token }, transports: ["websocket"] });
const joined = await socket.emitWithAck("join", { booking_id });
if (!joined.ok) return showError(joined.error.code, joined.error.message);
const pc = new RTCPeerConnection({ iceServers: joined.ice_servers });
pc.onicecandidate = ({ candidate }) =>
  candidate && socket.emit("signal", { to: other, candidate: candidate.toJSON() });
socket.on("signal", async ({ from, description, candidate }) => { /* setRemote..., addIce... */ });
socket.on("peer-reconnected", () => pc.restartIce());
""",
    auth=SessionAuth,
    auth_required=True,
    connect_errors=(
        (Code.TOKEN_INVALID, "the token is missing, not valid or was revoked"),
        (Code.TOKEN_EXPIRED, "the token has expired; refresh it and connect again"),
        (Code.ACCOUNT_DISABLED, "the account is disabled"),
        (Code.TWO_FACTOR_SETUP_REQUIRED, "the token is scoped to two-factor setup only"),
        (Code.BAD_PAYLOAD, "`auth` is not an object with a `token`"),
        (Code.TOO_MANY_SOCKETS, "`SOCKETS_PER_ADDRESS` or `SOCKETS_PER_USER` already open"),
    ),
    client_events=(
        ClientEvent(
            name=JOIN,
            summary="Enter the session's room (again, after a reconnect: the same place and "
            "`peer_id`). The others get `peer-joined`, or `peer-reconnected`.",
            payload=JoinIn,
            example={"booking_id": BOOKING_ID},
            ack=JoinAck,
            errors=(
                (
                    Code.BOOKING_NOT_FOUND,
                    "you are not this booking's client or coach (or no such booking)",
                ),
                (Code.BOOKING_NOT_CONFIRMED, "the booking is not confirmed (held, canceled, ...)"),
                (Code.SESSION_NOT_OPEN, "too early; the message says when the room opens"),
                (Code.SESSION_OVER, "the session has ended (its hard stop has passed)"),
                (Code.ROOM_FULL, "the room holds as many peers as its session type allows"),
                (Code.ALREADY_JOINED, "this socket is in another session's room"),
                (
                    Code.TOKEN_EXPIRED,
                    "the token the socket connected with has expired: connect again with a "
                    "fresh one",
                ),
                (Code.TOKEN_INVALID, "the token was revoked since the socket connected"),
                (Code.ACCOUNT_DISABLED, "the account was disabled since the socket connected"),
                (
                    Code.SESSION_CLOSED,
                    "the booking was canceled or moved while this join was under way",
                ),
            ),
        ),
        ClientEvent(
            name=SIGNAL,
            summary="Relay a description or a candidate (at least one of the two) to a peer of "
            "your room, who gets `signal` with `from` set to your `peer_id` and the rest as sent. "
            "Usually sent without an ack; refusals also come as `error` events.",
            payload=SignalIn,
            example={"to": "p-4fQx2", "candidate": CANDIDATE_EXAMPLE},
            ack=OkAck,
            errors=(
                (Code.NOT_JOINED, "`join` first"),
                (Code.PEER_NOT_FOUND, "`to` is not a peer of your room"),
                (Code.PAYLOAD_TOO_LARGE, "a field is over its limit"),
                (Code.RATE_LIMITED, "more than `SIGNAL_RATE` signals a second; dropped"),
            ),
        ),
        ClientEvent(
            name=LEAVE,
            summary="Leave the room at once (the others get `peer-left` with reason `left`); "
            "the socket stays connected and may `join` again.",
            payload=LeaveIn,
            example={},
            ack=OkAck,
            errors=((Code.NOT_JOINED, "this socket is in no room"),),
        ),
        *ROOM_CLIENT_EVENTS,
    ),
    server_events=(
        ServerEvent(
            name=PEER_JOINED,
            summary="Someone joined your room.",
            payload=PeerInfo,
            example={
                "peer_id": "p-4fQx2",
                "role": "coach",
                "display_name": "Dr Ann Lee",
                "via": "web",
            },
        ),
        ServerEvent(
            name=PEER_RECONNECTED,
            summary="A peer came back on a new socket within the grace period: renegotiate "
            "(browsers: `pc.restartIce()`; aiortc: a new `RTCPeerConnection`).",
            payload=PeerInfo,
            example={
                "peer_id": "p-4fQx2",
                "role": "coach",
                "display_name": "Dr Ann Lee",
                "via": "web",
            },
        ),
        ServerEvent(
            name=PEER_LEFT,
            summary="A peer left, or dropped and did not come back within the grace period.",
            payload=PeerLeft,
            example={"peer_id": "p-4fQx2", "reason": "timeout"},
        ),
        ServerEvent(
            name=SIGNAL,
            summary="A description or candidate from a peer of your room.",
            payload=SignalOut,
            example={"from": "p-4fQx2", "description": {"type": "offer", "sdp": SDP_EXAMPLE}},
        ),
        ServerEvent(
            name=SESSION_CLOSED,
            summary="The booking was canceled or rescheduled: you are out of its room (the "
            "other side too), no signal reaches you or leaves you any more, and the socket "
            "stays connected (the join timeout applies again).",
            payload=SessionClosed,
            example={"booking_id": BOOKING_ID, "reason": "canceled"},
        ),
        ServerEvent(
            name=ERROR,
            summary="A client event was refused (and dropped), or the socket is about to be "
            "closed (`join_timeout`, `taken_over`; `token_invalid` after a logout or logout "
            "everywhere, `account_disabled` when an admin disabled the account).",
            payload=ErrorEvent,
            example={"code": "rate_limited", "message": "Slow down.", "event": "signal"},
        ),
        *ROOM_SERVER_EVENTS,
        NOTIFICATION_EVENT,
    ),
)

NAMESPACES: tuple[Namespace, ...] = (AVAILABILITY_NAMESPACE, SESSION_NAMESPACE)

# Errors any event of any namespace may answer.
COMMON_ERRORS = (
    (Code.BAD_PAYLOAD, "the payload is not the object described (the message names the field)"),
    (Code.UNKNOWN_EVENT, "the namespace has no such event"),
    (Code.RATE_LIMITED, "more than `SOCKET_EVENT_RATE` events a second on this socket; dropped"),
    (Code.INTERNAL, "something failed on the server; try again"),
)

PREAMBLE = """\
# Socket.io protocol

<!-- Generated by `python -m signalling.protocol > docs/protocol.md` from
signalling/protocol.py; do not edit by hand. -->

The server speaks Socket.IO 5 (Engine.IO 4), as `socket.io-client` 4.x does, at path
`/socket.io/` on the same origin as the HTTP API. Payloads are JSON objects; ids are UUID
strings; times are UTC ISO 8601 (`2026-03-10T13:00:00Z`).

## Answers

Every client event sent with an acknowledgement callback is answered with exactly one object,
`{"ok": true, ...}` or `{"ok": false, "error": {"code", "message"}}`. A refused event changes
nothing and the socket stays connected, whatever was sent. Any event may answer:

"""

REFUSALS = """\
## Refused connections

A refused connection gets `connect_error` with `{"message", "data": {"code", "message"}}`
(socket.io-client: `err.message`, `err.data.code`).

"""


def markdown(namespaces: tuple[Namespace, ...] = NAMESPACES) -> str:
    """The protocol document."""
    return document(PREAMBLE, COMMON_ERRORS, REFUSALS, namespaces, (ErrorAck, ConnectError))


if __name__ == "__main__":
    sys.stdout.write(markdown())
