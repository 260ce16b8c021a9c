"""seed jobs: seed 004's integer job ids over storyreel jobs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seed_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("job_id", sa.String(length=26), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_seed_jobs_job_id", "seed_jobs", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_seed_jobs_job_id", table_name="seed_jobs")
    op.drop_table("seed_jobs")
