"""The events the features of a session's room add to `/session` (chat, session time, shared
resources, microphone and camera state), each declared in a protocol module of its own, in the
order `docs/protocol.md` lists them; signalling/protocol.py puts them in the namespace."""

from __future__ import annotations

from signalling.chat_protocol import CHAT_CLIENT_EVENTS, CHAT_SERVER_EVENTS
from signalling.countdown_protocol import COUNTDOWN_CLIENT_EVENTS, COUNTDOWN_SERVER_EVENTS
from signalling.media_state_protocol import MEDIA_CLIENT_EVENTS, MEDIA_SERVER_EVENTS
from signalling.notes_protocol import NOTES_SERVER_EVENTS
from signalling.resources_protocol import RESOURCE_SERVER_EVENTS

ROOM_CLIENT_EVENTS = (*CHAT_CLIENT_EVENTS, *COUNTDOWN_CLIENT_EVENTS, *MEDIA_CLIENT_EVENTS)
ROOM_SERVER_EVENTS = (
    *CHAT_SERVER_EVENTS,
    *COUNTDOWN_SERVER_EVENTS,
    *RESOURCE_SERVER_EVENTS,
    *NOTES_SERVER_EVENTS,
    *MEDIA_SERVER_EVENTS,
)
