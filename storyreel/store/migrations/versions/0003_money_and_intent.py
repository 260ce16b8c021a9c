"""money and submit intent: reported usage, submit intent, budget reservations, notes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("submit_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "possibly_billed_twice", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("reserved_usd", sa.Numeric(12, 6), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=300), nullable=True))
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_usd", sa.Numeric(12, 6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("budget_usd")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("reserved_usd")
        batch_op.drop_column("possibly_billed_twice")
        batch_op.drop_column("submit_started_at")
        batch_op.drop_column("usage")
