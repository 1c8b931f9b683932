"""engine: outbox channel, preferred channel, digest topics, unique digest recipients, flow versions,
quiz toggles as a bit mask, send shares

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_CHANNEL = "telegram"  # every row and identity written before this revision went through it


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), nullable=False, server_default=FIRST_CHANNEL)
        )
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_due", ["channel", "status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("channel", server_default=None)

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preferred_channel", sa.String(length=16), nullable=True))

    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=16), nullable=False, server_default="step"))
        batch_op.drop_constraint("uq_digest", type_="unique")
        batch_op.create_unique_constraint("uq_digest", ["kind", "ref", "unit_id", "topic", "level"])

    # Two processes could write the same recipient twice before: keep the first row of each.
    op.execute(
        "DELETE FROM digest_recipients WHERE id NOT IN "
        "(SELECT MIN(id) FROM digest_recipients GROUP BY outbox_key)"
    )
    with op.batch_alter_table("digest_recipients", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_digest_recipients_outbox_key", ["outbox_key"])

    with op.batch_alter_table("chat_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picked_mask", sa.Integer(), nullable=False, server_default="0"))
    _picked_to_mask()
    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.drop_column("picked")

    op.create_table(
        "send_shares",
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )
    with op.batch_alter_table("send_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_send_shares_channel"), ["channel"], unique=False)


def _picked_to_mask() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, picked FROM quiz_items WHERE picked IS NOT NULL")).all()
    for row_id, picked in rows:
        values = json.loads(picked) if isinstance(picked, str) else picked
        mask = sum(1 << int(i) for i in set(values or []))
        if mask:
            bind.execute(sa.text("UPDATE quiz_items SET picked_mask = :m WHERE id = :i"), {"m": mask, "i": row_id})


def _mask_to_picked() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, picked_mask FROM quiz_items WHERE picked_mask <> 0")).all()
    for row_id, mask in rows:
        picked = json.dumps([i for i in range(6) if mask >> i & 1])
        bind.execute(sa.text("UPDATE quiz_items SET picked = :p WHERE id = :i"), {"p": picked, "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table("send_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_shares_channel"))
    op.drop_table("send_shares")

    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("picked", sa.JSON(), nullable=True))
    _mask_to_picked()
    with op.batch_alter_table("quiz_items", schema=None) as batch_op:
        batch_op.drop_column("picked_mask")

    with op.batch_alter_table("chat_states", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("digest_recipients", schema=None) as batch_op:
        batch_op.drop_constraint("uq_digest_recipients_outbox_key", type_="unique")

    alerts = "SELECT id FROM digests WHERE topic <> 'step'"
    op.execute(f"DELETE FROM digest_entries WHERE digest_id IN ({alerts})")
    op.execute(f"DELETE FROM digest_recipients WHERE digest_id IN ({alerts})")
    op.execute("DELETE FROM digests WHERE topic <> 'step'")
    with op.batch_alter_table("digests", schema=None) as batch_op:
        batch_op.drop_constraint("uq_digest", type_="unique")
        batch_op.create_unique_constraint("uq_digest", ["kind", "ref", "unit_id", "level"])
        batch_op.drop_column("topic")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.create_index("ix_outbox_pending", ["status", "next_attempt_at"], unique=False)
        batch_op.drop_column("channel")
