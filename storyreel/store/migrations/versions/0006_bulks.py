"""bulk generation: bulks and their items; projects.kind tells a bulk's project from a story

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="story")
        )
    op.create_table(
        "bulks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=26), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("one_to_one", sa.Boolean(), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "bulk_items",
        sa.Column("bulk_id", sa.String(length=26), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("image_name", sa.Text(), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=False),
        sa.Column("image_mime", sa.String(length=50), nullable=False),
        sa.Column("prompt_number", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("job_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(["bulk_id"], ["bulks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bulk_id", "position"),
    )
    op.create_index("ix_bulk_items_job_id", "bulk_items", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_bulk_items_job_id", table_name="bulk_items")
    op.drop_table("bulk_items")
    op.drop_table("bulks")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("kind")
