"""wecom: callbacks processed (retries deduplicated), template cards sent with their response codes;
a person's WeCom userid; whether a channel can reach a person

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wecom_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=128), nullable=True),
        sa.Column("msg_id", sa.String(length=128), nullable=True),
        sa.Column("response_code", sa.String(length=256), nullable=True),
        sa.Column("response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("response_used", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id"),
    )
    with op.batch_alter_table("wecom_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wecom_cards_userid"), ["userid"], unique=False)

    op.create_table(
        "wecom_seen",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("wecom_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wecom_seen_at"), ["at"], unique=False)

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unreachable", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_userid", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_people_wecom_userid", ["wecom_userid"])


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_constraint("uq_people_wecom_userid", type_="unique")
        batch_op.drop_column("wecom_userid")

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_column("unreachable")

    with op.batch_alter_table("wecom_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_seen_at"))

    op.drop_table("wecom_seen")
    with op.batch_alter_table("wecom_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_cards_userid"))

    op.drop_table("wecom_cards")
