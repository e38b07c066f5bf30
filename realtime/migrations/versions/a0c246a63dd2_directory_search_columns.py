"""directory search columns: tokens, rates, weekly-hours masks and hour keys on coaches

The directory filters on columns of `coaches` that repeat the link tables (see
booking/storage/coaches.py); this adds them, fills them from the link tables and swaps the
link-table indexes the old directory query probed for indexes on the new columns.

Revision ID: a0c246a63dd2
Revises: 99933fca8856
Create Date: 2026-11-26 09:03:02.438345
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "a0c246a63dd2"
down_revision: str | None = "99933fca8856"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = sa.ARRAY(sa.Text()).with_variant(sa.JSON(), "sqlite")
KEYS = sa.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite")
MASKS = [f"hours_mask_{day}" for day in range(7)]
RATES = {"video": "video_rate_minor", "phone": "phone_rate_minor", "chat": "chat_rate_minor"}
SLOT_MINUTES = 30


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("coach_languages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_languages_primary"))
        batch_op.drop_index(batch_op.f("ix_coach_languages_tag"))

    with op.batch_alter_table("coach_offerings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_offerings_type_rate"))

    with op.batch_alter_table("coach_specialties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_specialties_slug"))

    with op.batch_alter_table("coaches", schema=None) as batch_op:
        # SQLite adds a NOT NULL column only with a default; PostgreSQL's is dropped below.
        for name, kind in (("search_tokens", TOKENS), ("hour_keys", KEYS)):
            batch_op.add_column(
                sa.Column(name, kind, server_default="{}" if postgres else "[]", nullable=False)
            )
        for rate in RATES.values():
            batch_op.add_column(sa.Column(rate, sa.Integer(), nullable=True))
        for mask in MASKS:
            batch_op.add_column(
                sa.Column(mask, sa.BigInteger(), server_default="0", nullable=False)
            )

    _fill()
    if postgres:
        op.execute("ALTER TABLE coaches ALTER COLUMN search_tokens DROP DEFAULT")
        op.execute("ALTER TABLE coaches ALTER COLUMN hour_keys DROP DEFAULT")

    with op.batch_alter_table("coaches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coaches_listed_chat", ["verification_status", "chat_rate_minor", "id"], unique=False
        )
        batch_op.create_index(
            "ix_coaches_listed_phone",
            ["verification_status", "phone_rate_minor", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_coaches_listed_video",
            ["verification_status", "video_rate_minor", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_coaches_search",
            ["search_tokens", "hour_keys"],
            unique=False,
            postgresql_using="gin",
        )


def _fill() -> None:
    """Each existing coach's new columns, computed from the link tables as
    booking/storage/search_keys.py computes them (written out here, as that code may change)."""
    bind = op.get_bind()
    tokens: dict[object, set[str]] = defaultdict(set)
    rates: dict[object, dict[str, int]] = defaultdict(dict)
    masks: dict[object, list[int]] = defaultdict(lambda: [0] * 7)

    def read(sql: str) -> list[Any]:
        return list(bind.execute(sa.text(sql).columns(coach_id=sa.Uuid())))

    zones, currencies = {}, {}
    for coach_id, zone, currency in read("SELECT id AS coach_id, time_zone, currency FROM coaches"):
        zones[coach_id], currencies[coach_id] = zone, currency
    for coach_id, slug in read("SELECT coach_id, specialty FROM coach_specialties"):
        tokens[coach_id].add(f"s:{slug}")
    for coach_id, tag, primary in read("SELECT coach_id, tag, primary_tag FROM coach_languages"):
        tokens[coach_id] |= {f"l:{tag}", f"lp:{primary}"}
    for coach_id, kind, rate in read(
        "SELECT coach_id, session_type, rate_minor FROM coach_offerings"
    ):
        tokens[coach_id] |= {f"t:{kind}", f"p:{kind}:{currencies[coach_id]}:{rate // 1000}"}
        rates[coach_id][kind] = rate
    for coach_id, day, start, end in read(
        "SELECT coach_id, weekday, start_minute, end_minute FROM weekly_hours"
    ):
        first, last = start // SLOT_MINUTES, -(-end // SLOT_MINUTES)
        masks[coach_id][day] |= (1 << last) - (1 << first)
    coaches = sa.table(
        "coaches",
        sa.column("id", sa.Uuid()),
        sa.column("search_tokens", TOKENS),
        sa.column("hour_keys", KEYS),
        *(sa.column(name, sa.Integer()) for name in RATES.values()),
        *(sa.column(name, sa.BigInteger()) for name in MASKS),
    )
    rows = [
        {
            "coach_id": coach_id,
            "tokens": sorted(tokens[coach_id]),
            "keys": _hour_keys(zones[coach_id], masks[coach_id]),
            **{name: rates[coach_id].get(kind) for kind, name in RATES.items()},
            **dict(zip(MASKS, masks[coach_id], strict=True)),
        }
        for coach_id in {*tokens, *masks}
    ]
    if rows:
        bind.execute(
            coaches.update()
            .where(coaches.c.id == sa.bindparam("coach_id"))
            .values(
                search_tokens=sa.bindparam("tokens", type_=TOKENS),
                hour_keys=sa.bindparam("keys", type_=KEYS),
                **{name: sa.bindparam(name) for name in [*RATES.values(), *MASKS]},
            ),
            rows,
        )


def _hour_keys(zone: str, masks: list[int]) -> list[int]:
    """A key per (zone, weekday, three-hour block) with weekly hours (search_keys.hour_keys)."""
    base = (zlib.crc32(zone.encode()) & 0xFFFFFF) * 56
    return [
        base + day * 8 + block
        for day, mask in enumerate(masks)
        for block in range(8)
        if (mask >> (block * 6)) & 0b111111
    ]


def downgrade() -> None:
    with op.batch_alter_table("coaches", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_coaches_search", postgresql_using="gin")
        batch_op.drop_index("ix_coaches_listed_video")
        batch_op.drop_index("ix_coaches_listed_phone")
        batch_op.drop_index("ix_coaches_listed_chat")
        for name in ["hour_keys", *reversed(MASKS), *reversed(RATES.values()), "search_tokens"]:
            batch_op.drop_column(name)

    with op.batch_alter_table("coach_specialties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coach_specialties_slug"), ["specialty", "coach_id"], unique=False
        )

    with op.batch_alter_table("coach_offerings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coach_offerings_type_rate"),
            ["session_type", "rate_minor", "coach_id"],
            unique=False,
        )

    with op.batch_alter_table("coach_languages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coach_languages_tag"), ["tag", "coach_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_coach_languages_primary"), ["primary_tag", "coach_id"], unique=False
        )
