"""license registers: the public registers admins check coaches' credentials in, per issuing
country, region ("" for the whole country) and licence type ("" for any)

One new table; nothing existing is touched.

Revision ID: b9e2f5c8d3a1
Revises: a8d1e4b7c2f0
Create Date: 2026-12-07 17:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "b9e2f5c8d3a1"
down_revision: str | None = "a8d1e4b7c2f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "license_registers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuing_country", sa.String(length=2), nullable=False),
        sa.Column("issuing_region", sa.String(length=6), nullable=False),
        sa.Column("license_type", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("updated_at", realtime.db.UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_license_registers_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_license_registers")),
        sa.UniqueConstraint(
            "issuing_country",
            "issuing_region",
            "license_type",
            name=op.f("uq_license_registers_issuing_country_issuing_region_license_type"),
        ),
    )


def downgrade() -> None:
    op.drop_table("license_registers")
