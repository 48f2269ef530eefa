"""The two fact tables a backfill fills fastest, movement and rawevent, are WITHOUT ROWID in
SQLite, and rawevent loses its index on `contract`, which nothing reads. A table with a rowid
keeps its rows in one B-tree and its primary key in another, and every insert goes to both.
Counted with callgrind over a backfill's writes, SQLite executes fewer instructions for
movement and rawevent without a rowid. Balance and epoch groups stay as they are: their upserts
cost more without a rowid. PostgreSQL has no rowid: there the index is all that changes.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TABLES = ("movement", "rawevent")


def _rebuild(table: str, with_rowid: bool) -> None:
    """Copies a SQLite table, its rows and its indexes into one with or without a rowid: SQLite
    cannot change that in place."""
    with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}):
        pass


def upgrade() -> None:
    op.drop_index("ix_rawevent_contract", table_name="rawevent")
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            _rebuild(table, with_rowid=True)
    op.create_index("ix_rawevent_contract", "rawevent", ["contract"])
