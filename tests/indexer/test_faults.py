"""The indexer against a flaky node: dropped connections, late answers, HTTP 429 and 503, JSON-RPC
rate limits and `eth_getLogs` ranges refused as too large, injected by a seeded proxy in front of
Anvil (tests/support/flaky_rpc.py). Whatever the node does, the database (SQLite or PostgreSQL) ends
equal to one indexed from Anvil directly; a node that goes away for good ends the run with one clear
line, and the next run resumes from the last whole batch. The log reader's answers arrive whole
when its process is stopped and continued while it writes them. However a backfill joins its
ranges into batches, the database is the same."""

import fcntl
import marshal
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import create_engine, text

import indexer.follower as follower_module
from chain.rpc import RpcClient
from indexer.follower import Follower, Progress
from indexer.outbox import OutboxWriter
from indexer.reader import LogReader
from indexer.store import FACTS_BY_NAME, REORG_WINDOW_BLOCKS, STATE_BY_NAME, Store
from points.manifest import load_manifest
from points.settings import Settings
from tests.support.flaky_rpc import FAULTS, Faults, flaky_rpc
from tests.support.postgres import database_url
from tests.support.services import Node, indexer

SEED = 20261123
# Answers read from a log reader stopped and continued before each.
STOPPED_ANSWERS = 30
# Everything the indexer mirrors, which must not depend on how its reads were split or retried;
# `block` keeps the headers of whichever blocks were read, which does.
COMPARED_TABLES = [name for name in (*STATE_BY_NAME, *FACTS_BY_NAME) if name != "block"]


def index(manifest: Path, database_url: str, rpc_url: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return indexer("run", "--manifest", str(manifest), "--db", database_url, "--rpc", rpc_url, **environment)


def contents(database_url: str) -> dict[str, set[tuple]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            def rows(query: str) -> set[tuple]:
                return {tuple(row) for row in connection.execute(text(query))}
            tables = {name: rows(f"SELECT * FROM {name}") for name in COMPARED_TABLES}
            tables["checkpoint"] = rows("SELECT chain_id, indexed_block, indexed_hash FROM checkpoint")
    finally:
        engine.dispose()
    return tables


@pytest.fixture(scope="module")
def deployment(demo_chain, tmp_path_factory) -> tuple[Node, Path, dict[str, set[tuple]]]:
    """The demo chain, and the database indexed from Anvil directly, without faults."""
    reference = f"sqlite:///{tmp_path_factory.mktemp('faults') / 'reference.db'}"
    run = index(demo_chain.manifest_file, reference, demo_chain.node.url)
    assert run.returncode == 0, run.stderr
    expected = contents(reference)
    assert expected["movement"] and expected["rawevent"]
    return demo_chain.node, demo_chain.manifest_file, expected


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_flaky_node_gives_the_same_database(postgres_server_url, deployment, dialect, tmp_path):
    node, manifest, expected = deployment
    database = database_url(dialect, tmp_path, postgres_server_url, "flaky")

    with flaky_rpc(node.url, Faults(seed=SEED)) as proxy:
        run = index(manifest, database, proxy.url)

    assert run.returncode == 0, run.stderr[-3000:]
    assert set(proxy.injected) >= {*FAULTS, "too many results", "delayed"}, proxy.injected
    verified = indexer("verify", "--manifest", str(manifest), "--db", database, "--rpc", node.url)
    assert verified.returncode == 0, verified.stderr
    assert ": 0 differ" in verified.stderr
    assert contents(database) == expected


def test_node_gone_for_good_gives_one_line_then_resume_completes(deployment, tmp_path):
    node, manifest, expected = deployment
    database = f"sqlite:///{tmp_path / 'interrupted.db'}"

    # A few answers take the indexer into its backfill; then the node never answers again. Short
    # pauses between the tries: the default back-off waits about 20 s before giving up.
    with flaky_rpc(node.url, Faults(seed=SEED, rate=0.0, answers=12)) as proxy:
        run = index(manifest, database, proxy.url, POINTS_RPC_MAX_BACKOFF="0.5")

    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    # One error line, the last, not wrapped: the retries' warnings come before it.
    assert errors == run.stderr.splitlines()[-1:], run.stderr[-3000:]
    assert errors[0].startswith(f"error: the node at {proxy.url} did not answer after 8 attempts (")
    interrupted = contents(database)
    assert interrupted["checkpoint"] and interrupted["checkpoint"] != expected["checkpoint"]

    resumed = index(manifest, database, node.url)

    assert resumed.returncode == 0, resumed.stderr
    assert contents(database) == expected


def test_a_backfill_joins_its_short_first_ranges_into_few_batches(deployment, tmp_path, monkeypatch):
    """The first ranges of a backfill are short (their logs' density is unknown): each would be a
    batch of its own, with its own commit, were they not joined while they hold few logs."""
    node, manifest_file, expected = deployment
    target = 64
    monkeypatch.setattr(follower_module, "TARGET_LOGS_PER_RANGE", target)
    manifest = load_manifest(manifest_file)
    database = f"sqlite:///{tmp_path / 'joined.db'}"
    batches: list[Progress] = []
    rpc = RpcClient(node.url)
    store = Store(database)
    follower = Follower(manifest, rpc, store, LogReader(rpc, manifest.contract_addresses()),
                        outbox=OutboxWriter(Settings().webhook_low_stock), on_batch=batches.append)
    try:
        follower.start()
        follower.run(follow=False)
    finally:
        follower.close()
        store.close()
        rpc.close()

    head = batches[-1].chain_head
    # The ranges from the deployment to the reorganisation window, its empty blocks among them,
    # hold fewer logs than half the target: one batch, where their growth from two blocks makes a dozen.
    assert batches[0].indexed_block >= head - REORG_WINDOW_BLOCKS, batches
    assert batches[0].events < target // 2
    assert contents(database) == expected


def test_log_reader_answers_whole_when_stopped_and_continued(deployment):
    """Ctrl-Z and fg, or a profiler, stop and continue the log reader while it writes an answer into
    a full pipe: the write returns having taken part of the answer, and the reader must write the
    rest. With PYTHONUNBUFFERED (which many container images set) its standard output is the raw
    file, which does not."""
    node, manifest_file, _ = deployment
    manifest = load_manifest(manifest_file)
    reader = subprocess.Popen(
        [sys.executable, "-m", "indexer.reader", node.url, "8", "10.0", *manifest.contract_addresses()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    assert reader.stdin is not None and reader.stdout is not None
    try:
        # The smallest pipe: every answer fills it, and the reader waits in the middle of one.
        fcntl.fcntl(reader.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
        reader.stdin.write(f"{manifest.start_block} {node.block_number()} 0\n".encode() * STOPPED_ANSWERS)
        reader.stdin.close()  # the reader ends after its last answer
        answers = []
        for _ in range(STOPPED_ANSWERS):
            time.sleep(0.02)  # lets the reader fill the pipe
            reader.send_signal(signal.SIGSTOP)
            time.sleep(0.005)
            reader.send_signal(signal.SIGCONT)
            answers.append(_answer(reader.stdout))
    finally:
        reader.kill()
        reader.wait()
    assert answers[0][0] == "ok" and answers[0][1][4]
    assert all(answer == answers[0] for answer in answers)


def _answer(answers: IO[bytes]) -> Any:
    """The reader's next answer: eight bytes of length, then marshal's bytes (indexer/reader.py)."""
    (length,) = struct.unpack(">Q", answers.read(8))
    return marshal.loads(answers.read(length))
