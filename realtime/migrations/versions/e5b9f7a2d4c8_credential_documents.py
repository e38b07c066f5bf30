"""credential documents: licence and certificate evidence attached to an application (sealed
title and name; the file sealed in the blob store)

One new table; nothing existing is touched.

Revision ID: e5b9f7a2d4c8
Revises: d4a8e6f1c3b7
Create Date: 2026-12-07 13:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "e5b9f7a2d4c8"
down_revision: str | None = "d4a8e6f1c3b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("meta", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["coach_applications.id"],
            name=op.f("fk_credential_documents_application_id_coach_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_documents")),
    )
    op.create_index(
        "ix_credential_documents_application", "credential_documents", ["application_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_credential_documents_application", table_name="credential_documents")
    op.drop_table("credential_documents")
