"""The public registers admins check coaches' credentials in (docs/coaches.md): admins keep
the list (a register per issuing country, optionally region and licence type), and every
credential an admin reads is shown the register that covers it (booking.policy.registers), so
checking a licence is one click, not a search. The list is the admins' own: no register is
invented here; a credential no register covers says so, and the admin can add one there."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from booking.policy.registers import Register, best, type_key
from booking.storage import registers as store
from booking.storage.registers import LicenseRegister
from realtime.clock import Clock
from realtime.db import Database
from realtime.errors import Code, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterDraft:
    issuing_country: str
    issuing_region: str | None
    license_type: str | None
    name: str
    url: str


@dataclass(frozen=True)
class RegisterLink:
    """What a credential shows: the register's name and address."""

    name: str
    url: str


def _register(row: LicenseRegister) -> Register:
    return Register(
        str(row.id),
        row.issuing_country,
        row.issuing_region,
        row.license_type,
        row.name,
        row.url,
    )


async def links_for(
    session: AsyncSession, credentials: Sequence[tuple[str, str | None, str]]
) -> list[RegisterLink | None]:
    """The register of each (country, region, licence type), in one query."""
    rows = await store.of_countries(session, {country for country, _, _ in credentials})
    registers = [_register(r) for r in rows]
    found = [best(registers, country, region, kind) for country, region, kind in credentials]
    return [None if r is None else RegisterLink(r.name, r.url) for r in found]


class Registers:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def list(self) -> list[Register]:
        async with self.db.session() as session:
            return [_register(r) for r in await store.all_registers(session)]

    async def put(self, admin_id: uuid.UUID, draft: RegisterDraft) -> Register:
        """Add the register for this country, region and licence type, or replace its name
        and address."""
        region, kind = draft.issuing_region or "", type_key(draft.license_type or "")
        now = self.clock.now()
        async with self.db.session() as session:
            row = await store.at(session, draft.issuing_country, region, kind)
            if row is None:
                row = LicenseRegister(
                    issuing_country=draft.issuing_country, issuing_region=region, license_type=kind
                )
                session.add(row)
            row.name, row.url, row.updated_at, row.updated_by = draft.name, draft.url, now, admin_id
            await session.flush()
            register = _register(row)
        log.info(
            "admin %s set the register for %s %s %r", admin_id, row.issuing_country, region, kind
        )
        return register

    async def delete(self, admin_id: uuid.UUID, register_id: uuid.UUID) -> None:
        async with self.db.session() as session:
            row = await session.get(LicenseRegister, register_id)
            if row is None:
                raise NotFound(Code.NOT_FOUND, f"No register has id {register_id}.")
            await session.delete(row)
        log.info("admin %s removed register %s", admin_id, register_id)
