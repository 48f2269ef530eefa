"""Crash safety: an indexer killed with SIGKILL at random moments of a backfill resumes without loss
or duplicates, and ends with the same database as a run that was never interrupted: into SQLite,
and into PostgreSQL through its bulk path (COPY, and commits that do not wait for the disk)."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ape import project
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from benchmarks.indexer_data import HistoryWriter, history_chain
from database.schema import deferred_indexes
from indexer.store import INSERT_ONLY, Store
from tests.support.postgres import database_url, storage_parameters
from tests.support.services import indexer

EVENTS = 60_000
KILLS = 4


def _run(manifest: Path, database_url: str, rpc_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "indexer", "run", "--manifest", str(manifest), "--db",
                             database_url, "--rpc", rpc_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _summary(database_url: str) -> tuple:
    """What a backfill wrote, in figures any database gives alike."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            def one(query: str) -> tuple:
                return tuple(connection.execute(text(query)).one())
            return (one("SELECT COUNT(*), SUM(amount) FROM movement"),
                    one("SELECT COUNT(*) FROM (SELECT DISTINCT block, log_index, seq FROM movement) AS keys"),
                    one("SELECT COUNT(*) FROM rawevent"), one("SELECT SUM(balance), COUNT(*) FROM balance"),
                    one("SELECT SUM(amount), COUNT(*) FROM epochgroup"), _indexed_block(database_url))
    finally:
        engine.dispose()


def _indexed_block(database_url: str) -> int:
    """The checkpoint's block; -1 before the indexer has created its schema and committed a batch."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT indexed_block FROM checkpoint")).scalar_one_or_none() or -1
    except SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def _missing_indexes(database_url: str) -> list[str]:
    store = Store(database_url)
    try:
        return store.deferred_indexes()
    finally:
        store.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A history of EVENTS events on an Anvil of its own, and its database indexed without a kill."""
    directory = tmp_path_factory.mktemp("crash")
    with history_chain() as node:
        writer = HistoryWriter(node.url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=3_000)
        writer.grow_to(EVENTS)
        manifest = directory / "manifest.json"
        writer.manifest().save(manifest)
        clean = f"sqlite:///{directory / 'clean.db'}"
        assert _run(manifest, clean, node.url).wait(timeout=300) == 0
        yield node.url, manifest, _summary(clean), writer.chain.block_number()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_kill_9_during_backfill_then_resume(postgres_server_url, history, dialect, tmp_path):
    rpc_url, manifest, clean, head = history
    killed = database_url(dialect, tmp_path, postgres_server_url, "killed")
    randomness = random.Random(20261123)

    kills = 0
    for _ in range(KILLS):
        indexed = _indexed_block(killed)
        process = _run(manifest, killed, rpc_url)
        # Killed at a random moment after the run committed a batch of its own, however slowly the
        # machine starts it.
        deadline = time.monotonic() + 120
        while process.poll() is None and _indexed_block(killed) == indexed and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(randomness.uniform(0.0, 0.5))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=60)
    assert kills > 0, "the backfill finished before any kill: make the history longer"
    interrupted = _indexed_block(killed)
    if interrupted < head:
        # Stopped before it caught up: the deferred indexes are not built yet.
        assert sorted(_missing_indexes(killed)) == sorted(deferred_indexes(dialect))
        if dialect == "postgresql":
            assert set(storage_parameters(killed)) == {"balance", *(table.name for table in INSERT_ONLY)}
    resumed = _run(manifest, killed, rpc_url)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read() if resumed.stderr else ""

    verified = indexer("verify", "--manifest", str(manifest), "--db", killed, "--rpc", rpc_url)
    assert verified.returncode == 0, verified.stderr
    assert _summary(killed) == clean
    assert _missing_indexes(killed) == []
    if dialect == "postgresql":
        assert storage_parameters(killed) == {}
