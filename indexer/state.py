"""The indexer's in-memory copy of the state tables, with change tracking for one batch.

The projector reads and writes rows here; at the end of a batch `drain` hands the store the rows
to upsert and delete, and, within the reorg window, each changed row's value before the batch.
"""

from typing import Any

from indexer.store import Key, Row


class TrackedState:
    def __init__(self, tables: dict[str, dict[Key, Row]]) -> None:
        self.tables = tables
        self._before: dict[tuple[str, Key], Row | None] = {}

    def get(self, table: str, key: Key) -> Row | None:
        return self.tables[table].get(key)

    def put(self, table: str, key: Key, row: Row) -> None:
        self._remember(table, key)
        self.tables[table][key] = row

    def update(self, table: str, key: Key, **changes: Any) -> Row:
        """Changes fields of an existing row and returns it."""
        self._remember(table, key)
        row = self.tables[table][key]
        row.update(changes)
        return row

    def add(self, table: str, key: Key, default: Row, **increments: int) -> Row:
        """Adds to counters of a row, creating it from `default` when missing."""
        self._remember(table, key)
        rows = self.tables[table]
        row = rows.get(key)
        if row is None:
            row = rows[key] = dict(default)
        for column, amount in increments.items():
            row[column] += amount
        return row

    def remove(self, table: str, key: Key) -> None:
        self._remember(table, key)
        self.tables[table].pop(key, None)

    def _remember(self, table: str, key: Key) -> None:
        marker = (table, key)
        if marker not in self._before:
            row = self.tables[table].get(key)
            self._before[marker] = None if row is None else dict(row)

    def drain(self) -> tuple[dict[str, list[Row]], dict[str, list[Key]], list[tuple[str, Key, Row | None]]]:
        """The batch's changes: rows to upsert, keys to delete, and values before the batch."""
        upserts: dict[str, list[Row]] = {}
        deletes: dict[str, list[Key]] = {}
        undo: list[tuple[str, Key, Row | None]] = []
        for (table, key), before in self._before.items():
            row = self.tables[table].get(key)
            if row is None:
                if before is not None:
                    deletes.setdefault(table, []).append(key)
            elif row != before:
                upserts.setdefault(table, []).append(dict(row))
            if row != before:
                undo.append((table, key, before))
        self._before = {}
        return upserts, deletes, undo
