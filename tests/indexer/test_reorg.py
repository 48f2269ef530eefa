"""Reorganisations while following: blocks the indexer already wrote are replaced on chain
(`anvil_rollback` then a different branch, and `anvil_reorg`); the follower undoes the orphaned
rows and the database, SQLite or PostgreSQL, ends equal to the chain. A chain that goes back below
the indexed block is rolled back as soon as it holds another block at a remembered height, and a
node that is only behind is waited for, never rolled back to."""

import subprocess
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from ape import project
from sqlalchemy.exc import SQLAlchemyError

from benchmarks.indexer_data import HistoryWriter, history_chain
from benchmarks.indexer_suite import following
from chain.rpc import RpcClient
from database.schema import Checkpoint
from indexer.store import Store
from tests.support.api_server import serve_api
from tests.support.lagging_rpc import lagging_rpc
from tests.support.postgres import database_url as new_database
from tests.support.services import indexer
from tests.support.waiting import wait_until


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_follower_survives_rollbacks_to_another_branch(postgres_server_url, tmp_path, dialect):
    database_url = new_database(dialect, tmp_path, postgres_server_url, "branches")
    with history_chain() as node:
        rpc_url = node.url
        writer = HistoryWriter(rpc_url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=500)
        writer.grow_to(5_000)
        manifest = tmp_path / "manifest.json"
        writer.manifest().save(manifest)
        rpc, store = RpcClient(rpc_url), Store(database_url)
        try:
            with following(manifest, database_url, rpc_url, tmp_path / "follow.log"):
                for depth in (1, 3):
                    wait_until(lambda: _caught_up(store, rpc))
                    orphaned = rpc.header(rpc.block_number())
                    rpc.call("anvil_rollback", [depth])
                    writer.sync_nonces()
                    for _ in range(depth + 1):
                        writer.mint_one_batch()
                    assert rpc.header(orphaned.number).hash != orphaned.hash
                    wait_until(lambda: _caught_up(store, rpc))
                orphaned = rpc.header(rpc.block_number())
                writer.reorganise(2)
                assert rpc.block_number() == orphaned.number and rpc.header(orphaned.number).hash != orphaned.hash
                writer.mint_one_batch()
                wait_until(lambda: _caught_up(store, rpc))
            log = (tmp_path / "follow.log").read_text()
            assert "event=reorg" in log, log[-2000:]

            verified = _verify(manifest, database_url, rpc_url)
            assert verified.returncode == 0, verified.stderr
            _assert_no_orphans(store, rpc)
        finally:
            store.close()
            rpc.close()


ROLLBACK_DEPTHS = (1, 2, 6)


def _checkpoint(store: Store) -> Checkpoint | None:
    """None until the follower has created its schema and written its first batch."""
    try:
        return store.checkpoint()
    except SQLAlchemyError:
        return None


def _position(checkpoint: Checkpoint | None) -> tuple[int, str, int] | None:
    """The indexed block, its hash and the head the follower last saw."""
    return None if checkpoint is None else (checkpoint.indexed_block, checkpoint.indexed_hash, checkpoint.chain_head)


def _head_recorded(store: Store, head: int) -> bool:
    """Whether the checkpoint holds `head` as the head the follower last saw."""
    checkpoint = _checkpoint(store)
    return checkpoint is not None and checkpoint.chain_head == head


def _caught_up(store: Store, rpc: RpcClient) -> bool:
    """Whether the indexed block is the node's head, hash included."""
    checkpoint = _checkpoint(store)
    head = rpc.header(rpc.block_number())
    return checkpoint is not None and (checkpoint.indexed_block, checkpoint.indexed_hash) == (head.number, head.hash)


def _verify(manifest: Path, database_url: str, rpc_url: str) -> subprocess.CompletedProcess[str]:
    return indexer("verify", "--manifest", str(manifest), "--db", database_url, "--rpc", rpc_url)


def _assert_verify_stops_in_one_line(verified: subprocess.CompletedProcess[str], head: int, indexed: int) -> None:
    assert verified.returncode == 2, verified.stderr
    assert verified.stderr.splitlines() == [
        f"error: the chain's head is block {head}, below the indexed block {indexed}: the node is behind or the "
        "chain went back; verify once the indexer has caught up"], verified.stderr


def _assert_no_orphans(store: Store, rpc: RpcClient) -> None:
    for number, block_hash in store.recent_hashes().items():
        assert rpc.header(number).hash == block_hash, f"block {number} of an orphaned branch is still stored"


def _history(rpc_url: str) -> HistoryWriter:
    writer = HistoryWriter(rpc_url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                           project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=300)
    writer.grow_to(2_000)
    return writer


def check_rollbacks_below_the_indexed_block(database_url: str, work: Path, *, new_block_at_once: bool) -> None:
    """The chain goes back 1, 2 and 6 blocks below the indexed block (`anvil_rollback`), then grows
    by one empty block, which leaves its head at or below the indexed block. Before
    that block the node is only behind: the follower keeps its rows and `verify` refuses in one
    line. Once the block is there, the follower rolls back at once and `verify` finds no difference."""
    with history_chain() as node:
        writer = _history(node.url)
        manifest, log_file = work / "manifest.json", work / "follow.log"
        writer.manifest().save(manifest)
        rpc, store = RpcClient(node.url), Store(database_url)
        try:
            with following(manifest, database_url, node.url, log_file):
                for depth in ROLLBACK_DEPTHS:
                    writer.sync_nonces()
                    for _ in range(depth):  # blocks with mints, whose rows the rollback orphans
                        writer.mint_one_batch()
                    wait_until(lambda: _caught_up(store, rpc))
                    indexed = store.checkpoint()
                    assert indexed is not None
                    rpc.call("anvil_rollback", [depth])
                    head = indexed.indexed_block - depth
                    if not new_block_at_once:
                        # The follower reports the lower head (negative lag) and keeps its rows.
                        wait_until(partial(_head_recorded, store, head))
                        _assert_verify_stops_in_one_line(_verify(manifest, database_url, node.url), head,
                                                         indexed.indexed_block)
                        assert _position(store.checkpoint()) == (indexed.indexed_block, indexed.indexed_hash, head)
                    # An empty block: the orphaned mints' points must leave the database.
                    rpc.call("evm_mine")
                    assert rpc.block_number() == head + 1 <= indexed.indexed_block
                    wait_until(lambda: _caught_up(store, rpc))
                    verified = _verify(manifest, database_url, node.url)
                    assert verified.returncode == 0, verified.stderr
                    assert ": 0 differ" in verified.stderr
                    _assert_no_orphans(store, rpc)
        finally:
            store.close()
            rpc.close()
        log = log_file.read_text()
        assert log.count("event=reorg") == len(ROLLBACK_DEPTHS), log
        assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("new_block_at_once", [True, False], ids=["new-block-at-once", "new-block-later"])
def test_a_chain_gone_back_below_the_indexed_block_is_rolled_back_at_once(tmp_path, new_block_at_once):
    check_rollbacks_below_the_indexed_block(f"sqlite:///{tmp_path / 'points.db'}", tmp_path,
                                            new_block_at_once=new_block_at_once)


def _health(base_url: str) -> dict[str, Any]:
    return httpx.get(f"{base_url}/v1/health").json()


def test_a_node_behind_is_waited_for_and_never_rolled_back(tmp_path):
    """A node that serves an older head for a while (tests/support/lagging_rpc.py), as after a fail-over
    to a node that is behind: the follower keeps every row, `/v1/health` reports a negative lag, and
    once the node catches up the follower goes on without a rollback. Neither does one look at the
    indexed block answered with another hash make it roll back."""
    database_url = f"sqlite:///{tmp_path / 'points.db'}"
    manifest, log_file = tmp_path / "manifest.json", tmp_path / "follow.log"
    with history_chain() as node, lagging_rpc(node.url) as proxy:
        writer = _history(node.url)
        writer.manifest().save(manifest)
        rpc, store = RpcClient(node.url), Store(database_url)
        try:
            with following(manifest, database_url, proxy.url, log_file):
                wait_until(lambda: _caught_up(store, rpc))
                indexed = store.checkpoint()
                assert indexed is not None
                # One look answered from another branch is not a reorganisation: the second look decides.
                proxy.disguise_once(indexed.indexed_block)
                wait_until(lambda: proxy.disguised == 1)
                proxy.lag_at(indexed.indexed_block - 3)
                with serve_api(database_url) as api:
                    wait_until(lambda: _health(api)["lag_blocks"] == -3)
                    assert _health(api) | {"indexed_time": None} == {
                        "status": "behind", "indexed_block": indexed.indexed_block, "indexed_time": None,
                        "chain_head": indexed.indexed_block - 3, "lag_blocks": -3}
                    # The real chain moves on meanwhile; the follower does not see it yet.
                    writer.mint_one_batch()
                    _assert_verify_stops_in_one_line(_verify(manifest, database_url, proxy.url),
                                                     indexed.indexed_block - 3, indexed.indexed_block)
                    assert _position(store.checkpoint()) == (indexed.indexed_block, indexed.indexed_hash,
                                                             indexed.indexed_block - 3)

                    proxy.lag_at(None)
                    wait_until(lambda: _caught_up(store, rpc))
                    assert _health(api)["status"] == "ok" and _health(api)["lag_blocks"] == 0
            verified = _verify(manifest, database_url, node.url)
            assert verified.returncode == 0, verified.stderr
        finally:
            store.close()
            rpc.close()
        log = log_file.read_text()
        assert "event=reorg" not in log and "Traceback" not in log, log[-3000:]
