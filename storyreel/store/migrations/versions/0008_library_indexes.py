"""library indexes: a filtered library page reads its jobs in id order (by model, by
project) and the lightbox finds a panel's identity scores by the panel's sha256

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_model_id", "jobs", ["model", "id"])
    op.create_index("ix_jobs_project_id_id", "jobs", ["project_id", "id"])
    op.create_index("ix_identity_scores_panel", "identity_scores", ["panel_sha256"])


def downgrade() -> None:
    op.drop_index("ix_identity_scores_panel", table_name="identity_scores")
    op.drop_index("ix_jobs_project_id_id", table_name="jobs")
    op.drop_index("ix_jobs_model_id", table_name="jobs")
