"""The store: deferred indexes (a first backfill drops them and builds them once caught up), and
the undo journal restoring what a reorganisation takes back."""

import sqlite3
from typing import Any

import pytest

from chain.rpc import BlockHeader
from database.schema import deferred_indexes
from indexer.events import DecodedLog
from indexer.projector import ProgramParams, Projector
from indexer.state import TrackedState
from indexer.store import BatchWrite, Store
from tests.support.postgres import database_url
from tests.support.postgres import rows as postgres_rows

TOKEN = "0x" + "11" * 20
EXCHANGE = "0x" + "ee" * 20
MERCHANT = "0x" + "33" * 20
EPOCH_START = 1_700_000_000
PROGRAM = ProgramParams(address=TOKEN, key="coffee", name="Coffee", symbol="BEAN", epoch_start=EPOCH_START,
                        epoch_length=86_400, validity=4, cap_period=86_400, deployed_block=1, transferable=True)


def _indexes(url: str) -> set[str]:
    """The names of the database's indexes, those of primary keys included where they have one."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    return {name for (name,) in postgres_rows(url, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_deferred_indexes_are_dropped_and_built_again(dialect, tmp_path, postgres_server_url):
    url = database_url(dialect, tmp_path, postgres_server_url, "deferred")
    deferred = set(deferred_indexes(dialect))
    store = Store(url)
    try:
        store.prepare(31337)
        assert store.deferred_indexes() == []
        created = _indexes(url)
        assert deferred <= created

        store.defer_indexes()
        store.defer_indexes()  # again: nothing left to drop, and no error

        assert sorted(store.deferred_indexes()) == sorted(deferred)
        assert _indexes(url) == created - deferred

        store.build_deferred_indexes()
        store.build_deferred_indexes()  # again: nothing left to build, and no error

        assert store.deferred_indexes() == []
        assert _indexes(url) == created
    finally:
        store.close()


def test_postgresql_defers_the_raw_events_primary_key(tmp_path, postgres_server_url):
    """Where it is left out, the raw events' key comes back as a primary key, on the same columns."""
    url = database_url("postgresql", tmp_path, postgres_server_url, "deferred_key")
    key = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'rawevent_pkey'"
    store = Store(url)
    try:
        store.prepare(31337)
        created = postgres_rows(url, key)
        store.defer_indexes()
        assert postgres_rows(url, key) == []

        store.build_deferred_indexes()

        assert postgres_rows(url, key) == created == [("PRIMARY KEY (block, log_index)",)]
    finally:
        store.close()


def _header(number: int) -> BlockHeader:
    return BlockHeader(number, f"0x{number:064x}", f"0x{number - 1:064x}", EPOCH_START + number)


def _index_block(store: Store, number: int, *logs: tuple[str, dict[str, Any]]) -> None:
    """Projects one block of `logs` (name, arguments) and commits it as a batch within the reorg window."""
    state = TrackedState(store.load_state())
    projector = Projector(state, [PROGRAM], EXCHANGE)
    projector.apply_transaction([DecodedLog(number, index, TOKEN, name, f"0x{number:064x}", "{}", args)
                                 for index, (name, args) in enumerate(logs)], EPOCH_START + number)
    created, updated, deletes, undo = state.drain()
    store.write(store.encode(BatchWrite(first_block=number, last=_header(number), chain_head=number,
                                        headers=[_header(number)], facts=projector.take_facts(), created=created,
                                        updates=updated, deletes=deletes, undo=undo)), 31337)


def names(store: Store) -> tuple[dict[str, str], dict[int, str]]:
    """Merchants' names by address and rewards' names by id, as stored."""
    state = store.load_state()
    return ({merchant: row["name"] for (_, merchant), row in state["merchant"].items()},
            {reward_id: row["name"] for (_, reward_id), row in state["reward"].items()})


def check_a_rollback_restores_names(url: str) -> None:
    """Names go in and out through the undo journal like any other column: a rollback of the block
    that renamed a merchant gives it its old name back, and one of the block that listed a reward
    removes it with its name."""
    store = Store(url)
    try:
        store.prepare(31337)
        _index_block(store, 10, ("MerchantSet", {"merchant": MERCHANT, "cap": 500, "name": "Downtown store"}))
        _index_block(store, 11, ("MerchantSet", {"merchant": MERCHANT, "cap": 2**96 - 1, "name": "Caf\u00e9 \ufffd 2"}),
                     ("RewardListed", {"reward_id": 1, "merchant": MERCHANT, "price": 120, "stock": 5,
                                       "name": "Free espresso"}))
        assert names(store) == ({MERCHANT: "Caf\u00e9 \ufffd 2"}, {1: "Free espresso"})

        assert store.rollback(10, start_block=10) == 10

        assert names(store) == ({MERCHANT: "Downtown store"}, {})
        assert store.load_state()["merchant"][(TOKEN, MERCHANT)]["cap"] == 500
    finally:
        store.close()


def test_a_rollback_restores_a_renamed_merchants_name(tmp_path):
    check_a_rollback_restores_names(f"sqlite:///{tmp_path / 'points.db'}")
