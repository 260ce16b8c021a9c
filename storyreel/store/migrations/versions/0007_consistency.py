"""consistency: character sheets, the user's pick among candidate panels, identity scores

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("sheet_asset", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sheet_mime", sa.String(length=50), nullable=True))
    with op.batch_alter_table("shots") as batch:
        batch.add_column(sa.Column("picked_candidate", sa.Integer(), nullable=True))
    op.create_table(
        "identity_scores",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("project_id", sa.String(length=26), nullable=False),
        sa.Column("shot_number", sa.Integer(), nullable=False),
        sa.Column("candidate", sa.Integer(), nullable=False),
        sa.Column("panel_sha256", sa.String(length=64), nullable=False),
        sa.Column("character", sa.String(length=100), nullable=False),
        sa.Column("scorer", sa.String(length=50), nullable=False),
        sa.Column("cross", sa.Double(), nullable=True),
        sa.Column("self", sa.Double(), nullable=True),
        sa.Column("copy", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_identity_scores_project_shot", "identity_scores", ["project_id", "shot_number"]
    )


def downgrade() -> None:
    op.drop_index("ix_identity_scores_project_shot", table_name="identity_scores")
    op.drop_table("identity_scores")
    with op.batch_alter_table("shots") as batch:
        batch.drop_column("picked_candidate")
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("sheet_mime")
        batch.drop_column("sheet_asset")
