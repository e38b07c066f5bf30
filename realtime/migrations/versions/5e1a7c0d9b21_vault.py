"""vault: wrapped data keys and master key check values

New tables only: `data_keys` (one wrapped data key per scope, `booking:<id>` or `user:<id>`) and
`master_key_checks` (a known value sealed by each master key, checked at start). Rows sealed
with keys derived from SECRET_KEY are re-sealed into the vault by `realtime.resealing`, run by
`flourish migrate` (and a start with AUTO_MIGRATE): it needs SECRET_KEY and the master keys,
which migrations do not see, and it is resumable row by row.

Revision ID: 5e1a7c0d9b21
Revises: 0fab94ce4c16
Create Date: 2026-12-07 01:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "5e1a7c0d9b21"
down_revision: str | None = "0fab94ce4c16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_data_keys")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_keys_kek_id"), ["kek_id"], unique=False)
    op.create_table(
        "master_key_checks",
        sa.Column("kek_id", sa.String(length=32), nullable=False),
        sa.Column("check_value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kek_id", name=op.f("pk_master_key_checks")),
    )


def downgrade() -> None:
    op.drop_table("master_key_checks")
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_kek_id"))
    op.drop_table("data_keys")
