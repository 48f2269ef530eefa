"""The store: deferred indexes (a first backfill drops them and builds them once caught up), and
the undo journal restoring what a reorganisation takes back."""

import sqlite3
from typing import Any

from chain.rpc import BlockHeader
from database.schema import DEFERRED_INDEXES
from indexer.events import DecodedLog
from indexer.projector import ProgramParams, Projector
from indexer.state import TrackedState
from indexer.store import BatchWrite, Store

TOKEN = "0x" + "11" * 20
EXCHANGE = "0x" + "ee" * 20
MERCHANT = "0x" + "33" * 20
EPOCH_START = 1_700_000_000
PROGRAM = ProgramParams(address=TOKEN, key="coffee", name="Coffee", symbol="BEAN", epoch_start=EPOCH_START,
                        epoch_length=86_400, validity=4, cap_period=86_400, deployed_block=1, transferable=True)


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
