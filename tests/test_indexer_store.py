"""The store's deferred indexes: a first backfill drops them and builds them once caught up."""

import sqlite3

from indexer.schema import DEFERRED_INDEXES
from indexer.store import Store


def _indexes(database) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_deferred_indexes_are_dropped_and_built_again(tmp_path):
    database = tmp_path / "points.db"
    store = Store(f"sqlite:///{database}")
    try:
        store.prepare(31337)
        assert store.deferred_indexes() == []
        created = _indexes(database)

        store.defer_indexes()
        store.defer_indexes()  # again: nothing left to drop, and no error

        assert sorted(store.deferred_indexes()) == sorted(DEFERRED_INDEXES)
        assert _indexes(database) == created - set(DEFERRED_INDEXES)

        store.build_deferred_indexes()
        store.build_deferred_indexes()  # again: nothing left to build, and no error

        assert store.deferred_indexes() == []
        assert _indexes(database) == created
    finally:
        store.close()
