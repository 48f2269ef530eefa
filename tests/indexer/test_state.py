"""The in-memory state's account of a batch: which rows it created (the store inserts them without
looking for an existing row), which it changed, which it deleted, and their values before."""

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.state import TrackedState

KEYS = [("p", f"a{index}") for index in range(4)]


def _state() -> TrackedState:
    return TrackedState({"balance": {KEYS[0]: {"balance": 5}, KEYS[1]: {"balance": 7}}})


def test_created_changed_deleted_and_untouched_rows_are_told_apart():
    state = _state()
    state.add("balance", KEYS[0], {"balance": 0}, balance=1)  # existed: changed
    state.put("balance", KEYS[2], {"balance": 3})  # new
    state.remove("balance", KEYS[1])  # existed: deleted
    state.put("balance", KEYS[3], {"balance": 1})
    state.remove("balance", KEYS[3])  # new, then gone: nothing to write

    created, updated, deletes, undo = state.drain()

    assert created == {"balance": [{"balance": 3}]}
    assert updated == {"balance": [{"balance": 6}]}
    assert deletes == {"balance": [KEYS[1]]}
    assert undo == {"balance": ([KEYS[0], KEYS[2], KEYS[1]], [{"balance": 5}, None, {"balance": 7}])}
    assert state.drain() == ({}, {}, {}, {})


def test_a_row_deleted_then_put_back_is_an_update():
    state = _state()
    state.remove("balance", KEYS[0])
    state.put("balance", KEYS[0], {"balance": 9})

    created, updated, deletes, _ = state.drain()

    assert (created, updated, deletes) == ({}, {"balance": [{"balance": 9}]}, {})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "remove"]), st.sampled_from(KEYS), st.integers(0, 3)),
                max_size=12))
def test_applying_a_drain_to_the_rows_before_gives_the_rows_after(operations):
    """What the store does with a batch: insert the created rows (absent before), replace the
    changed ones (present before), delete the deleted ones (present before)."""
    state = _state()
    database = {key: dict(row) for key, row in state.tables["balance"].items()}
    for operation, key, amount in operations:
        if operation == "put":
            state.put("balance", key, {"key": key, "balance": amount})
        else:
            state.remove("balance", key)
    rows_by_key = {id(row): key for key, row in state.tables["balance"].items()}

    created, updated, deletes, _ = state.drain()

    for row in created.get("balance", []):
        assert rows_by_key[id(row)] not in database
        database[rows_by_key[id(row)]] = row
    for row in updated.get("balance", []):
        assert rows_by_key[id(row)] in database
        database[rows_by_key[id(row)]] = row
    for key in deletes.get("balance", []):
        del database[key]
    assert database == state.tables["balance"]
