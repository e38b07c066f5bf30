"""What else ends when a login ends: the sockets opened with its tokens.

`Accounts` tells its `Revocations` once a logout, a session ended because its rotated refresh
token came back, a logout everywhere (the shared revoke-all
path, which a password reset takes too), a password change (every other login of the user) or
the disabling of an account has committed. The
socket.io edge (`signalling.rights.SocketRights`) then disconnects those sockets on every
server process. Without socket.io (the CLI's services) nothing has sockets: `NoSockets`.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Protocol


class Revoked(StrEnum):
    LOGGED_OUT = "logged_out"  # one login session
    REUSED = "reused"  # one login session, whose rotated refresh token came back (a thief?)
    LOGGED_OUT_EVERYWHERE = "logged_out_everywhere"  # every login session of the user
    DISABLED = "disabled"  # the account, by an admin
    PASSWORD_CHANGED = "password_changed"  # the user's other login sessions


class Revocations(Protocol):
    async def revoked(
        self, user_id: uuid.UUID, reason: Revoked, login_id: uuid.UUID | None = None
    ) -> None:
        """The sockets of `login_id` (one login session), or of every login of the user when
        None, must go. Called after the commit; never raises."""


class NoSockets:
    """No sockets to close (a services graph built without socket.io)."""

    async def revoked(
        self, user_id: uuid.UUID, reason: Revoked, login_id: uuid.UUID | None = None
    ) -> None:
        return None
