"""The background checkpointer: what it copies reaches the database file, it stops when closed,
and a database it cannot open costs a warning, not the indexer."""

import logging
import shutil
import sqlite3
import threading
from pathlib import Path

from indexer.wal_checkpoint import WalCheckpointer
from tests.support.waiting import wait_until

ROWS = 1_000
# A checkpoint of a few pages takes milliseconds.
QUICKLY = {"timeout": 10.0, "interval": 0.02}


def _writer(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    # Only the checkpointer copies the log here.
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("CREATE TABLE t (n INTEGER)")
    return connection


def _rows_in_the_file_alone(path: Path, scratch: Path) -> int:
    """The rows the database file holds without its log: copied to where no log lies beside it."""
    copy = scratch / "file-alone.db"
    shutil.copyfile(path, copy)
    with sqlite3.connect(copy) as connection:
        tables = connection.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'").fetchone()[0]
        return connection.execute("SELECT COUNT(*) FROM t").fetchone()[0] if tables else 0


def _checkpointer_running() -> bool:
    return any(thread.name == "indexer-checkpoint" for thread in threading.enumerate())


def test_a_requested_checkpoint_copies_the_log_into_the_file(tmp_path):
    path = tmp_path / "points.db"
    writer = _writer(path)
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(ROWS)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert _rows_in_the_file_alone(path, scratch) == 0
    checkpointer = WalCheckpointer(str(path))
    try:
        checkpointer.request()
        wait_until(lambda: _rows_in_the_file_alone(path, scratch) == ROWS, **QUICKLY)
        # The writer goes on while the checkpointer holds its own connection open.
        writer.execute("INSERT INTO t VALUES (?)", (ROWS,))
        checkpointer.request()
        wait_until(lambda: _rows_in_the_file_alone(path, scratch) == ROWS + 1, **QUICKLY)
    finally:
        checkpointer.close()
        writer.close()


def test_close_stops_the_thread_and_a_closed_one_is_closed_again_safely(tmp_path):
    path = tmp_path / "points.db"
    _writer(path).close()
    checkpointer = WalCheckpointer(str(path))
    checkpointer.request()
    assert _checkpointer_running()

    checkpointer.close()
    checkpointer.close()

    assert not _checkpointer_running()


def test_a_database_it_cannot_open_costs_a_warning(tmp_path, caplog):
    checkpointer = WalCheckpointer(str(tmp_path / "missing" / "points.db"))
    with caplog.at_level(logging.WARNING, logger="indexer"):
        checkpointer.request()
        wait_until(lambda: not _checkpointer_running(), **QUICKLY)
    checkpointer.close()

    assert any("event=checkpointer_stopped" in record.getMessage() for record in caplog.records)


def test_a_checkpointer_never_asked_starts_no_thread(tmp_path):
    checkpointer = WalCheckpointer(str(tmp_path / "points.db"))

    assert not _checkpointer_running()
    checkpointer.close()
