"""account email: verification, single-use account tokens, the email outbox, normalised emails;
coach profile changes held for review

`users.email_verified_at` (accounts that existed before are taken as verified, as they were made
under the old rules and some hold bookings); `account_tokens` (hashes of verification and
password-reset tokens); `outbox_emails`. Stored emails are normalised as the service now does
(NFKC, case-folded); an address whose normalised form another account already has is left as
it is (and logged) rather than merged. `coach_applications` gains the proposed name and photo
of a `profile_change` application.

Revision ID: 5e1d0c7a9b42
Revises: 0fab94ce4c16
Create Date: 2026-12-07 01:30:00.000000
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import realtime.db

revision: str = "5e1d0c7a9b42"
down_revision: str | None = "0fab94ce4c16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_verified_at", realtime.db.UtcDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE users SET email_verified_at = created_at")
    _normalise_emails()
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", realtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_account_tokens_user", ["user_id", "purpose"], unique=False)
    op.create_table(
        "outbox_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", realtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", realtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", realtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_emails_due", ["status", "due_at"], unique=False)
    with op.batch_alter_table("coach_applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("proposed_display_name", sa.String(length=120), nullable=True)
        )
        batch_op.add_column(sa.Column("proposed_photo_url", sa.String(length=500), nullable=True))


def _normalise_emails() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, email FROM users")).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        normal = unicodedata.normalize("NFKC", email).casefold()
        if normal == email:
            continue
        if normal in taken:
            log.warning("user %s: normalised email belongs to another account; kept", user_id)
            continue
        bind.execute(
            sa.text("UPDATE users SET email = :email WHERE id = :id"),
            {"email": normal, "id": user_id},
        )
        taken.add(normal)


def downgrade() -> None:
    with op.batch_alter_table("coach_applications", schema=None) as batch_op:
        batch_op.drop_column("proposed_photo_url")
        batch_op.drop_column("proposed_display_name")
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_due")
    op.drop_table("outbox_emails")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_account_tokens_user")
    op.drop_table("account_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
