"""Alembic environment: always run programmatically by ``explainers.oversight.store.Store.migrate`` on a
connection that it passes in (inside a transaction that holds the audit chain's lock)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
