"""Cases, reviews and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-01-31
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object", sa.String(200), nullable=False),
        sa.Column("data_sha256", sa.String(64)),
        sa.Column("model_sha256", sa.String(64)),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_verified", sa.Boolean, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("data_sha256", sa.String(64), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("row_position", sa.Integer, nullable=False),
        sa.Column("lang", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("prediction", sa.String(200), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    op.create_index("ix_cases_dataset", "cases", ["dataset"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("reviewer_verified", sa.Boolean, nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(200)),
        sa.Column("reason", sa.Text),
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_reviews_case_id", "reviews", ["case_id", "id"])


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("cases")
    op.drop_table("audit_log")
