"""duty lists: the 一岗双责 责任清单 (`safetybot import duties`), each duty of a role or a person with its
frequency and evidence kind; removed duties are kept, deactivated

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "duty_items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.JSON(), nullable=True),
        sa.Column("every", sa.String(length=16), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("duty_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_items_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duty_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duty_items_person_id"))
    op.drop_table("duty_items")
