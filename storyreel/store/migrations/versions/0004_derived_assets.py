"""derived assets: recipe hash -> asset, so an unchanged assembly is not encoded twice

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derived_assets",
        sa.Column("recipe_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("asset_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_sha256"], ["assets.sha256"]),
        sa.PrimaryKeyConstraint("recipe_hash"),
    )


def downgrade() -> None:
    op.drop_table("derived_assets")
