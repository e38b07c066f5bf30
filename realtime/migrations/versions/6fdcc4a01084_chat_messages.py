"""chat: messages, per-room counters and read marks

Only new tables: `chat_rooms` (one counter row per booking with messages: the last `seq`),
`messages` (unique `(booking_id, seq)` and `(booking_id, sender, client_msg_id)`; the body is
stored sealed) and `chat_reads` (each participant's read mark). Nothing existing is touched.

Revision ID: 6fdcc4a01084
Revises: f114c31196d8
Create Date: 2026-12-07 01:01:44.577534
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "6fdcc4a01084"
down_revision: str | None = "f114c31196d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_reads",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_chat_reads_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_reads_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("booking_id", "user_id", name=op.f("pk_chat_reads")),
    )
    op.create_table(
        "chat_rooms",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_chat_rooms_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_chat_rooms")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.Uuid(), nullable=False),
        sa.Column("client_msg_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_messages_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender"], ["users.id"], name=op.f("fk_messages_sender_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("booking_id", "sender", "client_msg_id", name="uq_messages_client_msg"),
        sa.UniqueConstraint("booking_id", "seq", name="uq_messages_seq"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("chat_rooms")
    op.drop_table("chat_reads")
