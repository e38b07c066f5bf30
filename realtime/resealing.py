"""Moves what was sealed with keys derived from SECRET_KEY into the vault, so that rotating
SECRET_KEY never loses data again.

Before the vault, session details, cancel notes and TOTP secrets were Fernet tokens under
HKDF(SECRET_KEY, purpose) (`realtime/keys.py`). A Fernet token is base64 text starting `gAAAAA`;
a vault item starts with a version byte (0x00 or 0x01), so each row says which it holds. This
step opens every Fernet value with the old key and seals it in its scope, a batch per committed
transaction, each row written only if it still holds the value read (compare-and-set), so it is
resumable and safe to run from several processes at once. `flourish migrate` runs it after the
schema migrations, and so does a start with `AUTO_MIGRATE` (development); each run scans the
three columns once when nothing is left, so production leaves it to `flourish migrate`. It is
not an Alembic migration because it needs SECRET_KEY and the master keys, which migrations do
not see, and the vault's async key store.

A value that does not open under the current SECRET_KEY (it was rotated before this step ran)
is left as it is and counted in the log by row id; it cannot be recovered without the old key.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Table, bindparam, func, select, update

from booking.storage.bookings import Booking
from realtime.auth.models import User
from realtime.db import Base, Database
from realtime.keys import fernet
from realtime.settings import Settings
from realtime.vault import Sealer, booking_scope, user_scope

log = logging.getLogger(__name__)

FERNET_PREFIX = b"gAAAAA"
BATCH = 200


@dataclass(frozen=True)
class Legacy:
    """One column of Fernet values: its table's model, the old key purpose, the vault item."""

    model: type[Base]
    column: str
    purpose: str
    item: str
    scope_of: Callable[[uuid.UUID], str]


LEGACY = (
    Legacy(Booking, "details", "booking-details", "details", booking_scope),
    Legacy(Booking, "cancel_note", "booking-cancel-note", "cancel-note", booking_scope),
    Legacy(User, "totp_secret", "totp", "totp", user_scope),
)


async def reseal(settings: Settings, db: Database, sealer: Sealer, *, batch: int = BATCH) -> int:
    """Re-seal every Fernet value into the vault; returns how many rows moved."""
    moved = 0
    for legacy in LEGACY:
        moved += await _column(
            db, sealer, legacy, fernet(settings.secret_key, legacy.purpose), batch
        )
    return moved


async def _column(db: Database, sealer: Sealer, legacy: Legacy, box: Fernet, batch: int) -> int:
    table = cast(Table, legacy.model.__table__)
    column = table.c[legacy.column]
    moved = 0
    lost: set[Any] = set()
    while True:
        async with db.reading() as conn:
            # substr works on bytea and BLOB alike, where LIKE does not.
            query = select(table.c.id, column).where(
                func.substr(column, 1, len(FERNET_PREFIX)) == FERNET_PREFIX
            )
            if lost:
                query = query.where(table.c.id.not_in(lost))
            rows = (await conn.execute(query.order_by(table.c.id).limit(batch))).all()
        if not rows:
            break
        params = []
        for row_id, token in rows:
            try:
                plain = box.decrypt(token)
            except InvalidToken:
                log.error(
                    "resealing: %s.%s of row %s does not open under SECRET_KEY",
                    table.name,
                    legacy.column,
                    row_id,
                )
                lost.add(row_id)
                continue
            sealed = await sealer.seal(legacy.scope_of(row_id), legacy.item, plain)
            params.append({"p_id": row_id, "p_old": token, "p_new": sealed})
        if params:
            async with db.transaction() as conn:
                await conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("p_id"), column == bindparam("p_old"))
                    .values({legacy.column: bindparam("p_new")}),
                    params,
                )
            moved += len(params)
    if moved or lost:
        log.info(
            "resealing: %s.%s: %d moved into the vault, %d not readable",
            table.name,
            legacy.column,
            moved,
            len(lost),
        )
    return moved
