"""The chat events of `/session` (signalling/chat.py), declared for signalling/protocol.py, which
lists them in the namespace and writes them into `docs/protocol.md`.

Incoming chat payloads keep their strings as sent (no whitespace stripping: a message is the
user's text); unknown fields are refused like everywhere else.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from booking.services.messages import MAX_PAGE, MAX_SEQ, MAX_TEXT
from realtime.errors import Code
from signalling.protodoc import ClientEvent, Doc, ServerEvent

CHAT_SEND, CHAT_HISTORY, CHAT_TYPING, CHAT_READ = (
    "chat:send",
    "chat:history",
    "chat:typing",
    "chat:read",
)
CHAT_MESSAGE = "chat:message"
MAX_CLIENT_MSG_ID = 64


class ChatIncoming(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatSendIn(ChatIncoming):
    client_msg_id: str = Field(
        min_length=1,
        max_length=MAX_CLIENT_MSG_ID,
        description="Your own id for this message (a UUID, say): sending it again stores "
        "nothing new and answers the first `seq`.",
    )
    # Blank text is refused by the service as `message_empty` (stored nothing), not here.
    text: str = Field(
        max_length=MAX_TEXT, description=f"The message, 1 to {MAX_TEXT} characters, as typed."
    )


class ChatHistoryIn(ChatIncoming):
    after_seq: int = Field(
        0, ge=0, le=MAX_SEQ, description="Only messages after this `seq` (0: from the start)."
    )
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"At most this many (1-{MAX_PAGE}).")


class ChatTypingIn(ChatIncoming):
    typing: bool = Field(True, description="`false` when the user stopped typing.")


class ChatReadIn(ChatIncoming):
    seq: int = Field(ge=1, le=MAX_SEQ, description="You have read every message up to this `seq`.")


class ChatJoin(TypedDict):
    last_seq: Annotated[int, Doc("The room's last chat message (0: none yet).")]
    read_seq: Annotated[int, Doc("How far you have read (`chat:read`).")]
    peer_read_seq: Annotated[
        int, Doc("How far the other participant has read: your messages up to it are seen.")
    ]


class ChatSendAck(TypedDict):
    ok: Annotated[Literal[True], Doc("Stored (or stored before: a resend).")]
    seq: Annotated[int, Doc("The message's number in the room.")]
    sent_at: Annotated[str, Doc("When it was stored, UTC ISO 8601.")]


# Functional form: `from` is a Python keyword.
ChatMessageOut = TypedDict(
    "ChatMessageOut",
    {
        "seq": Annotated[
            int, Doc("Number in the room: 1, 2, 3, ... with no gap. Show in this order.")
        ],
        "from": Annotated[str, Doc("The sender's user id (UUID).")],
        "role": Annotated[Literal["coach", "client"], Doc("The sender's part in the session.")],
        "text": Annotated[str, Doc("The message.")],
        "sent_at": Annotated[str, Doc("When it was stored, UTC ISO 8601.")],
        "client_msg_id": Annotated[str, Doc("The sender's own id for it.")],
    },
)


class ChatHistoryAck(TypedDict):
    ok: Annotated[Literal[True], Doc("The page follows.")]
    messages: Annotated[list[ChatMessageOut], Doc("Oldest first.")]
    has_more: Annotated[bool, Doc("More follow: ask again with the last `seq` you got.")]


class ChatTypingAck(TypedDict):
    ok: Annotated[Literal[True], Doc("Relayed.")]


class ChatReadAck(TypedDict):
    ok: Annotated[Literal[True], Doc("Recorded.")]
    read_seq: Annotated[int, Doc("Your read mark now (it never moves back).")]


# Functional form: `from` is a Python keyword.
ChatTypingOut = TypedDict(
    "ChatTypingOut",
    {
        "from": Annotated[str, Doc("Who is typing (user id).")],
        "typing": Annotated[bool, Doc("`false`: they stopped.")],
    },
)

ChatReadOut = TypedDict(
    "ChatReadOut",
    {
        "from": Annotated[str, Doc("Who read (user id).")],
        "read_seq": Annotated[int, Doc("They have read every message up to this `seq`.")],
    },
)

USER_ID = "5e0c2a1b-7d3f-4c8e-9b6a-2f1e0d9c8b7a"
SENT_AT = "2026-03-10T13:02:11.532Z"
NOT_JOINED = (Code.NOT_JOINED, "`join` first")

CHAT_CLIENT_EVENTS = (
    ClientEvent(
        name=CHAT_SEND,
        summary="Send a chat message to your room: it is stored (sealed) with the next `seq`, "
        "then everyone else in the room gets `chat:message`. Limited to `CHAT_RATE` a second "
        "per socket, with `chat:typing`.",
        payload=ChatSendIn,
        example={"client_msg_id": "c-7f3a9", "text": "Shall we start with last week's goals?"},
        ack=ChatSendAck,
        errors=(
            NOT_JOINED,
            (Code.MESSAGE_EMPTY, "`text` is empty or only spaces"),
            (Code.PAYLOAD_TOO_LARGE, f"`text` is longer than {MAX_TEXT} characters"),
            (Code.RATE_LIMITED, "more than `CHAT_RATE` chat events a second; nothing stored"),
            (Code.SESSION_OVER, "the session has ended; the history stays readable"),
        ),
    ),
    ClientEvent(
        name=CHAT_HISTORY,
        summary="The room's messages after `after_seq`: on join, and whenever a `chat:message` "
        "arrives with a `seq` beyond the one you expected (after a reconnect, or a message "
        "delivered late by another server). The join ack's `chat.last_seq` says how far to go.",
        payload=ChatHistoryIn,
        example={"after_seq": 41, "limit": 50},
        ack=ChatHistoryAck,
        errors=(NOT_JOINED,),
    ),
    ClientEvent(
        name=CHAT_TYPING,
        summary="Tell the room you are typing (not stored); usually sent without an ack.",
        payload=ChatTypingIn,
        example={"typing": True},
        ack=ChatTypingAck,
        errors=(NOT_JOINED,),
    ),
    ClientEvent(
        name=CHAT_READ,
        summary="You have read up to `seq`: stored for you (unread counts in `GET "
        "/api/bookings`) and told to the room as `chat:read`.",
        payload=ChatReadIn,
        example={"seq": 42},
        ack=ChatReadAck,
        errors=(NOT_JOINED, (Code.UNKNOWN_SEQ, "the room has no message with this `seq`")),
    ),
)

CHAT_SERVER_EVENTS = (
    ServerEvent(
        name=CHAT_MESSAGE,
        summary="A message of your room, from the other participant or from another socket of "
        "yours. Messages sent through different servers can arrive out of order: show them "
        "by `seq`, and when one arrives beyond the next you expect, fetch the gap with "
        "`chat:history`; ignore a `seq` you already have.",
        payload=ChatMessageOut,
        example={
            "seq": 42,
            "from": USER_ID,
            "role": "coach",
            "text": "Shall we start with last week's goals?",
            "sent_at": SENT_AT,
            "client_msg_id": "c-7f3a9",
        },
    ),
    ServerEvent(
        name=CHAT_TYPING,
        summary="The other participant is typing (or stopped).",
        payload=ChatTypingOut,
        example={"from": USER_ID, "typing": True},
    ),
    ServerEvent(
        name=CHAT_READ,
        summary="The other participant has read up to `read_seq` (a read receipt).",
        payload=ChatReadOut,
        example={"from": USER_ID, "read_seq": 42},
    ),
)
