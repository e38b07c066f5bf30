"""ICE servers for a peer: STUN as configured, TURN with time-limited credentials.

TURN credentials follow the "TURN REST API" scheme coturn implements with `use-auth-secret`
(draft-uberti-behave-turn-rest): the username is `<expiry unix time>:<user id>` and the password
is base64(HMAC-SHA1(shared secret, username)). coturn accepts them while the expiry is in the
future, so nothing is stored and a leaked credential dies on its own after `TURN_TTL` seconds.
The user id in the name lets coturn's logs tie a relay to an account without a lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from realtime.settings import Settings
from signalling.countdown_protocol import IceServer


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str


def turn_credential(secret: str, user: str, expires: int) -> TurnCredential:
    """The credential coturn accepts for `user` until the unix time `expires`."""
    username = f"{expires}:{user}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode())


def ice_servers(settings: Settings, user: str, now: datetime) -> list[IceServer]:
    """What `join` gives a peer: `[{urls}]` for STUN, `[{urls, username, credential}]` for TURN."""
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if settings.turn_urls:
        turn = turn_credential(settings.turn_secret, user, int(now.timestamp()) + settings.turn_ttl)
        servers.append(
            {
                "urls": list(settings.turn_urls),
                "username": turn.username,
                "credential": turn.credential,
            }
        )
    return servers
