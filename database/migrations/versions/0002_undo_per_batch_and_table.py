"""The undo journal keeps one row per batch and table: `key` is a JSON array of the keys the batch
changed, `old` a JSON array of their previous rows (null where a row did not exist), in the same
order. Revision 0001 kept one row per key, with `old` null for a row that did not exist.

Revision ID: 0002
Revises: 0001
"""

import json
from collections.abc import Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

UNDO = sa.table(
    "undo",
    sa.column("id", sa.Integer),
    sa.column("batch_id", sa.Integer),
    sa.column("table_name", sa.String),
    sa.column("key", sa.Text),
    sa.column("old", sa.Text),
)


def _rows(*order: sa.ColumnElement[Any]) -> Sequence[sa.Row[Any, Any, Any, Any]]:
    connection = op.get_bind()
    return connection.execute(
        sa.select(UNDO.c.batch_id, UNDO.c.table_name, UNDO.c.key, UNDO.c.old).order_by(*order, UNDO.c.id)
    ).all()


def _replace(rows: list[dict[str, object]]) -> None:
    connection = op.get_bind()
    connection.execute(sa.delete(UNDO))
    if rows:
        connection.execute(sa.insert(UNDO), rows)


def upgrade() -> None:
    grouped = groupby(_rows(UNDO.c.batch_id, UNDO.c.table_name), key=lambda row: (row.batch_id, row.table_name))
    merged = []
    for (batch_id, table_name), group in grouped:
        entries = list(group)
        merged.append({
            "batch_id": batch_id, "table_name": table_name,
            "key": json.dumps([json.loads(entry.key) for entry in entries], separators=(",", ":")),
            "old": json.dumps([None if entry.old is None else json.loads(entry.old) for entry in entries],
                              separators=(",", ":")),
        })
    _replace(merged)


def downgrade() -> None:
    split = []
    for row in _rows():
        for key, old in zip(json.loads(row.key), json.loads(row.old), strict=True):
            split.append({"batch_id": row.batch_id, "table_name": row.table_name, "key": json.dumps(key),
                          "old": None if old is None else json.dumps(old)})
    _replace(split)
