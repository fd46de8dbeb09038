"""The oversight tables (SQLAlchemy Core). Alembic's migrations in ``migrations/`` create them; this module
only describes them for queries. Times are ISO 8601 text in UTC (``2025-01-31T12:00:00.000000Z``), so that
SQLite and PostgreSQL hold and hash exactly the same characters, and text order is time order."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

HASH = 64
NAME = 200

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # 1, 2, 3, ...: a gap is a deletion
    Column("at", String(32), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("action", String(40), nullable=False),
    Column("object", String(NAME), nullable=False),
    Column("data_sha256", String(HASH)),
    Column("model_sha256", String(HASH)),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(HASH), nullable=False),
    Column("hash", String(HASH), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("actor_verified", Boolean, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("dataset", String(NAME), nullable=False),
    Column("data_sha256", String(HASH), nullable=False),
    Column("model_sha256", String(HASH), nullable=False),
    Column("row_position", Integer, nullable=False),
    Column("lang", String(10), nullable=False),
    Column("note", Text, nullable=False),
    Column("prediction", String(NAME), nullable=False),
    Column("snapshot", Text, nullable=False),  # JSON
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("reviewer", String(NAME), nullable=False),
    Column("reviewer_verified", Boolean, nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("outcome", String(NAME)),
    Column("reason", Text),
    Column("comment", Text),
)

COHORT_NAME = 60

cohorts = Table(
    "cohorts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("actor", String(NAME), nullable=False),
    Column("actor_verified", Boolean, nullable=False),
    Column("dataset", String(NAME), nullable=False),  # the name it was saved under; shown, not a key
    Column("data_sha256", String(HASH), nullable=False),  # the table's content: cohorts belong to it
    Column("name", String(COHORT_NAME), nullable=False),
    Column("expression", Text, nullable=False),  # a filter of explainers.expressions
    Column("source", String(20), nullable=False),  # filter (typed) | leaf (an error tree's leaf)
    Column("model_sha256", String(HASH)),  # the model whose error tree gave a leaf cohort
    Column("deleted_at", String(32)),  # soft deletion: null while the cohort is live
    Column("deleted_by", String(NAME)),
    Column("deleted_by_verified", Boolean),
    # Migration 0002: one live cohort per (table content, name); a deleted one frees its name.
    Index("ux_cohorts_live_name", "data_sha256", "name", unique=True,
          sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
)
