"""payments: double-entry ledger, refunds, payouts and payout accounts, webhook events seen

Only new tables: `ledger_transactions` (unique `key`, so a movement posts once) and
`ledger_entries`; `refunds` (unique idempotency key); `payouts` (at most one pending per coach
and currency: a partial unique index on both databases); `payout_accounts`; `webhook_events`
(provider + event id). Existing payments and bookings are not touched, and the demo seeds its
own ledger rows.

Revision ID: 0fab94ce4c16
Revises: a0c246a63dd2
Create Date: 2026-11-26 10:29:11.827818
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "0fab94ce4c16"
down_revision: str | None = "a0c246a63dd2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("received_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_webhook_events")),
    )
    op.create_table(
        "payout_accounts",
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("account_ref", sa.String(length=255), nullable=False),
        sa.Column("updated_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_payout_accounts_coach_id_coaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("coach_id", name=op.f("pk_payout_accounts")),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("transfer_ref", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", realtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payouts_amount")),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_payouts_coach_id_coaches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index("ix_payouts_coach", ["coach_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_payouts_one_pending",
            ["coach_id", "currency"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "ledger_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_ledger_transactions_booking_id_bookings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_ledger_transactions_coach_id_coaches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
    )
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_transactions_coach", ["coach_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_ledger_transactions_key", ["key"], unique=True)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=24), nullable=False),
        sa.Column("coach_id", sa.Uuid(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"],
            ["coaches.id"],
            name=op.f("fk_ledger_entries_coach_id_coaches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_account", ["account", "coach_id"], unique=False)
        batch_op.create_index("ix_ledger_entries_transaction", ["transaction_id"], unique=False)

    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("provider_ref", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_refunds_booking_id_bookings"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_refunds_payment_id_payments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_key", ["idempotency_key"], unique=True)
        batch_op.create_index("ix_refunds_payment", ["payment_id"], unique=False)
        batch_op.create_index("ix_refunds_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status")
        batch_op.drop_index("ix_refunds_payment")
        batch_op.drop_index("ix_refunds_key")

    op.drop_table("refunds")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entries_transaction")
        batch_op.drop_index("ix_ledger_entries_account")

    op.drop_table("ledger_entries")
    with op.batch_alter_table("ledger_transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_transactions_key")
        batch_op.drop_index("ix_ledger_transactions_coach")

    op.drop_table("ledger_transactions")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_payouts_one_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index("ix_payouts_coach")

    op.drop_table("payouts")
    op.drop_table("payout_accounts")
    op.drop_table("webhook_events")
