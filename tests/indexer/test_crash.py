"""Crash safety: an indexer killed with SIGKILL at random moments of a backfill resumes without loss
or duplicates, and ends with the same database as a run that was never interrupted."""

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ape import project

from benchmarks.indexer_data import HistoryWriter, history_chain
from database.schema import DEFERRED_INDEXES
from tests.support.services import indexer

EVENTS = 60_000
KILLS = 4


def _run(manifest: Path, database: Path, rpc_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "indexer", "run", "--manifest", str(manifest), "--db",
                             f"sqlite:///{database}", "--rpc", rpc_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _summary(database: Path) -> tuple:
    with sqlite3.connect(database) as connection:
        return (
            connection.execute("SELECT COUNT(*), SUM(amount) FROM movement").fetchone(),
            connection.execute("SELECT COUNT(*) FROM rawevent").fetchone(),
            connection.execute("SELECT SUM(balance), COUNT(*) FROM balance").fetchone(),
            connection.execute("SELECT indexed_block FROM checkpoint").fetchone(),
            _indexes(connection),
        )


def _indexes(connection: sqlite3.Connection) -> list[str]:
    return [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")]


def test_kill_9_during_backfill_then_resume(tmp_path):
    randomness = random.Random(20261123)
    with history_chain() as node:
        rpc_url = node.url
        writer = HistoryWriter(rpc_url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=3_000)
        writer.grow_to(EVENTS)
        manifest = tmp_path / "manifest.json"
        writer.manifest().save(manifest)

        clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
        assert _run(manifest, clean, rpc_url).wait(timeout=300) == 0

        kills = 0
        for _ in range(KILLS):
            process = _run(manifest, killed, rpc_url)
            time.sleep(randomness.uniform(1.0, 3.0))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
        assert kills > 0, "the backfill finished before any kill: make the history longer"
        with sqlite3.connect(killed) as connection:
            interrupted = connection.execute("SELECT indexed_block FROM checkpoint").fetchone()
            indexes = _indexes(connection)
        if interrupted is not None and interrupted[0] < writer.chain.block_number():
            # Stopped before it caught up: the deferred indexes are not built yet.
            assert not set(DEFERRED_INDEXES) & set(indexes)
        resumed = _run(manifest, killed, rpc_url)
        assert resumed.wait(timeout=300) == 0, resumed.stderr.read() if resumed.stderr else ""

        verified = indexer("verify", "--manifest", str(manifest), "--db", f"sqlite:///{killed}", "--rpc", rpc_url)
        assert verified.returncode == 0, verified.stderr
        assert _summary(killed) == _summary(clean)
        with sqlite3.connect(killed) as connection:
            assert set(DEFERRED_INDEXES) <= set(_indexes(connection))
