"""The call's microphone and camera state on `/session` (signalling/media_state.py), declared
for signalling/protocol.py (through signalling/room_protocol.py) and `docs/protocol.md`.

A muted track still flows (silence, black frames), so the other side cannot tell it from the
media; each side says so instead, and says it again when the other (re)joins."""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from realtime.errors import Code
from signalling.protodoc import ClientEvent, Doc, ServerEvent

MEDIA_STATE, PEER_MEDIA = "media:state", "peer-media"


class MediaStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # JSON booleans, not "yes"
    audio: bool = Field(description="Your microphone is on.")
    video: bool = Field(description="Your camera is on (false on audio-only sessions).")


class MediaStateAck(TypedDict):
    ok: Annotated[Literal[True], Doc("Relayed to the room.")]


class PeerMedia(TypedDict):
    role: Annotated[Literal["coach", "client"], Doc("Whose state it is.")]
    audio: Annotated[bool, Doc("Their microphone is on.")]
    video: Annotated[bool, Doc("Their camera is on.")]


MEDIA_CLIENT_EVENTS = (
    ClientEvent(
        name=MEDIA_STATE,
        summary="Tell the room whether your microphone and camera are on (not stored): send it "
        "after `join`, on every change, and again on `peer-joined` / `peer-reconnected`.",
        payload=MediaStateIn,
        example={"audio": False, "video": True},
        ack=MediaStateAck,
        errors=((Code.NOT_JOINED, "`join` first"),),
    ),
)

MEDIA_SERVER_EVENTS = (
    ServerEvent(
        name=PEER_MEDIA,
        summary="The other participant's microphone and camera state (show a muted icon, or "
        "their initials in place of a camera that is off).",
        payload=PeerMedia,
        example={"role": "client", "audio": False, "video": True},
    ),
)
