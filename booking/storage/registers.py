"""The public registers admins check credentials in (booking.policy.registers): one row per
issuing country, region ("" for the whole country) and licence type ("" for any)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from realtime.db import Base, UtcDateTime, new_id


class LicenseRegister(Base):
    __tablename__ = "license_registers"
    __table_args__ = (UniqueConstraint("issuing_country", "issuing_region", "license_type"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    issuing_country: Mapped[str] = mapped_column(String(2))
    issuing_region: Mapped[str] = mapped_column(String(6))  # "" for the whole country
    license_type: Mapped[str] = mapped_column(String(120))  # policy.type_key, "" for any
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


async def all_registers(session: AsyncSession) -> list[LicenseRegister]:
    query = select(LicenseRegister).order_by(
        LicenseRegister.issuing_country,
        LicenseRegister.issuing_region,
        LicenseRegister.license_type,
    )
    return list(await session.scalars(query))


async def of_countries(session: AsyncSession, countries: Collection[str]) -> list[LicenseRegister]:
    """The registers that may cover credentials of these countries."""
    if not countries:
        return []
    query = select(LicenseRegister).where(LicenseRegister.issuing_country.in_(sorted(countries)))
    return list(await session.scalars(query))


async def at(
    session: AsyncSession, country: str, region: str, license_type: str
) -> LicenseRegister | None:
    query = select(LicenseRegister).where(
        LicenseRegister.issuing_country == country,
        LicenseRegister.issuing_region == region,
        LicenseRegister.license_type == license_type,
    )
    found: LicenseRegister | None = await session.scalar(query.with_for_update())
    return found
