"""projects.seed is a BIGINT: a story's seed goes up to 2**32 - 1 (the schema's limit, and
what a title-derived seed reaches half the time), past PostgreSQL's 32-bit INTEGER

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.alter_column("seed", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.alter_column("seed", type_=sa.Integer(), existing_type=sa.BigInteger())
