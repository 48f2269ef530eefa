"""Alembic environment of the relayer's queue: run by `python -m relayer migrate` on its own connection."""

from alembic import context

from relayer.models import RelayerModel
from relayer.store import MIGRATIONS

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=RelayerModel.metadata, render_as_batch=True,
                  version_table=MIGRATIONS.version_table)
with context.begin_transaction():
    context.run_migrations()
