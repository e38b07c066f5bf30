"""The events of the features beside the call on `/session` (chat, shared resources), each
declared in a protocol module of its own, gathered for signalling/protocol.py."""

from __future__ import annotations

from signalling.chat_protocol import CHAT_CLIENT_EVENTS, CHAT_SERVER_EVENTS
from signalling.resources_protocol import RESOURCE_SERVER_EVENTS

SIDE_CLIENT_EVENTS = CHAT_CLIENT_EVENTS
SIDE_SERVER_EVENTS = (*CHAT_SERVER_EVENTS, *RESOURCE_SERVER_EVENTS)
