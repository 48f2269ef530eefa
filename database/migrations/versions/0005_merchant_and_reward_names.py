"""Merchants and rewards have a `name`: the public label that `MerchantSet` and `RewardListed`
carry since the contracts' second version. Rows from before get '' (the first contracts named
nothing), and so do the rows the undo journal keeps, which a rollback writes back whole. A
downgrade leaves the journal's names: an older indexer writes a row's columns back by name and
passes over the rest.

SQLite adds a column at the end of its CREATE TABLE text, after the primary key: the tables are
rebuilt instead, so that a migrated database has the same schema as a new one.

Revision ID: 0005
Revises: 0004
"""

import json
from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ("merchant", "reward")
UNDO = sa.table(
    "undo",
    sa.column("id", sa.Integer),
    sa.column("table_name", sa.String),
    sa.column("old", sa.Text),
)


def _recreate() -> Literal["always", "auto"]:
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def _name_journal() -> None:
    """Gives every previous row the undo journal keeps of the tables a name, '' unless it has one."""
    connection = op.get_bind()
    entries = connection.execute(sa.select(UNDO.c.id, UNDO.c.old).where(UNDO.c.table_name.in_(TABLES))).all()
    for entry_id, old in entries:
        rows = json.loads(old)
        for row in rows:
            if row is not None:
                row.setdefault("name", "")
        # ensure_ascii off: the indexer writes the journal with orjson, which keeps text as it is.
        connection.execute(sa.update(UNDO).where(UNDO.c.id == entry_id)
                           .values(old=json.dumps(rows, separators=(",", ":"), ensure_ascii=False)))


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate=_recreate()) as batch_op:
            batch_op.add_column(sa.Column("name", sa.String(), nullable=False, server_default=""))
    _name_journal()


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate=_recreate()) as batch_op:
            batch_op.drop_column("name")
