"""The indexer's in-memory copy of the state tables, with change tracking for one batch.

The projector reads and writes rows here; at the end of a batch `drain` hands the store the rows
to insert, update and delete, and, within the reorg window, each changed row's value before the batch.
"""

from typing import Any

from indexer.store import Key, Row

# Per table changed in a batch: its changed keys and, in the same order, their rows before the batch.
Undo = dict[str, tuple[list[Key], list[Row | None]]]


class TrackedState:
    def __init__(self, tables: dict[str, dict[Key, Row]]) -> None:
        self.tables = tables
        # Per table, each key changed in this batch and its row before the batch (None: absent).
        # The dictionaries live as long as the state: the projector's hot paths hold on to them.
        self.before: dict[str, dict[Key, Row | None]] = {name: {} for name in tables}

    def get(self, table: str, key: Key) -> Row | None:
        return self.tables[table].get(key)

    def touch(self, table: str, key: Key) -> Row | None:
        """The row of `key` (None when absent), remembered as it was: the caller may change it in place,
        or put or remove it."""
        row = self.tables[table].get(key)
        before = self.before[table]
        if key not in before:
            before[key] = None if row is None else dict(row)
        return row

    def put(self, table: str, key: Key, row: Row) -> None:
        self.touch(table, key)
        self.tables[table][key] = row

    def update(self, table: str, key: Key, **changes: Any) -> Row:
        """Changes fields of an existing row and returns it."""
        row = self.touch(table, key)
        if row is None:
            raise KeyError(f"no {table} row {key}")
        row.update(changes)
        return row

    def add(self, table: str, key: Key, default: Row, **increments: int) -> Row:
        """Adds to counters of a row, creating it from `default` when missing."""
        row = self.touch(table, key)
        if row is None:
            row = self.tables[table][key] = dict(default)
        for column, amount in increments.items():
            row[column] += amount
        return row

    def remove(self, table: str, key: Key) -> None:
        self.touch(table, key)
        self.tables[table].pop(key, None)

    def drain(self) -> tuple[dict[str, list[Row]], dict[str, list[Row]], dict[str, list[Key]], Undo]:
        """The batch's changes: rows it created, rows that existed before it and changed, keys to
        delete, and values before the batch.

        Created rows are absent from the database (it holds the state as of the previous batch), so
        the store can insert them without looking for a row of the same key. The rows are the live
        ones, not copies: write them before changing the state again.
        """
        created: dict[str, list[Row]] = {}
        updated: dict[str, list[Row]] = {}
        deletes: dict[str, list[Key]] = {}
        undo: Undo = {}
        for table, changed in self.before.items():
            if not changed:
                continue
            rows = self.tables[table]
            new: list[Row] = []
            written: list[Row] = []
            removed: list[Key] = []
            undone_keys: list[Key] = []
            undone_rows: list[Row | None] = []
            for key, before in changed.items():
                row = rows.get(key)
                if row is None:
                    if before is None:
                        continue
                    removed.append(key)
                elif before is None:
                    new.append(row)
                elif row == before:
                    continue
                else:
                    written.append(row)
                undone_keys.append(key)
                undone_rows.append(before)
            if new:
                created[table] = new
            if written:
                updated[table] = written
            if removed:
                deletes[table] = removed
            if undone_keys:
                undo[table] = (undone_keys, undone_rows)
            changed.clear()
        return created, updated, deletes, undo
