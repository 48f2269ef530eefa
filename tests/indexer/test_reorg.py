"""Reorganisations while following: blocks the indexer already wrote are replaced on chain
(`anvil_rollback` then a different branch, and `anvil_reorg`); the follower undoes the orphaned
rows and the database ends equal to the chain."""

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ape import project

from benchmarks.indexer_data import HistoryWriter, history_chain
from chain.rpc import RpcClient
from tests.support.services import indexer


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _indexed_block(database: Path) -> int:
    """The checkpoint's block; -1 before the follower has created its schema and first batch."""
    with sqlite3.connect(database) as connection:
        try:
            row = connection.execute("SELECT indexed_block FROM checkpoint").fetchone()
        except sqlite3.OperationalError:
            return -1
    return row[0] if row else -1


def test_follower_survives_rollbacks_to_another_branch(tmp_path):
    with history_chain() as node:
        rpc_url = node.url
        writer = HistoryWriter(rpc_url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=500)
        writer.grow_to(5_000)
        manifest, database = tmp_path / "manifest.json", tmp_path / "points.db"
        writer.manifest().save(manifest)
        rpc = RpcClient(rpc_url)
        follower = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--follow", "--manifest", str(manifest),
                                     "--db", f"sqlite:///{database}", "--rpc", rpc_url],
                                    stdout=subprocess.DEVNULL, stderr=(tmp_path / "follow.log").open("w"))
        try:
            for depth in (1, 3):
                _wait_for(lambda: _indexed_block(database) >= rpc.block_number())
                orphaned = rpc.header(rpc.block_number())
                rpc.call("anvil_rollback", [depth])
                writer.sync_nonces()
                for _ in range(depth + 1):
                    writer.mint_one_batch()
                assert rpc.header(orphaned.number).hash != orphaned.hash
                _wait_for(lambda: _indexed_block(database) >= rpc.block_number())
            orphaned = rpc.header(rpc.block_number())
            writer.reorganise(2)
            assert rpc.block_number() == orphaned.number and rpc.header(orphaned.number).hash != orphaned.hash
            writer.mint_one_batch()
            _wait_for(lambda: _indexed_block(database) >= rpc.block_number())
        finally:
            follower.terminate()
            follower.wait(timeout=30)
        log = (tmp_path / "follow.log").read_text()
        assert "event=reorg" in log, log[-2000:]

        verified = indexer("verify", "--manifest", str(manifest), "--db", f"sqlite:///{database}", "--rpc", rpc_url)
        assert verified.returncode == 0, verified.stderr
        with sqlite3.connect(database) as connection:
            stored = dict(connection.execute("SELECT number, hash FROM block").fetchall())
        for number, block_hash in stored.items():
            assert rpc.header(number).hash == block_hash, f"block {number} of an orphaned branch is still stored"
