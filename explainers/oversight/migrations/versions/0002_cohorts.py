"""Named cohorts of a table (filters saved from the Where it errs page), soft-deleted.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_verified", sa.Boolean, nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("data_sha256", sa.String(64), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("expression", sa.Text, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("model_sha256", sa.String(64)),
        sa.Column("deleted_at", sa.String(32)),
        sa.Column("deleted_by", sa.String(200)),
        sa.Column("deleted_by_verified", sa.Boolean),
    )
    # One live cohort per name and table content; deleted ones stay for the record and free their name.
    op.create_index("ux_cohorts_live_name", "cohorts", ["data_sha256", "name"], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    op.drop_index("ux_cohorts_live_name", table_name="cohorts")
    op.drop_table("cohorts")
