"""The indexer suite: backfill speed against the eth_getLogs ceiling, into SQLite and into
PostgreSQL, memory, follow latency.

The indexer runs as users run it, `python -m indexer run`, in a child process; its own report
("indexed N events ... in S s") gives the rate, and the child's peak RSS the memory. The speed
rows start once the node has gone idle after growing the history (`HistoryNode.wait_until_idle`);
the ceiling and the two backfills are each the fastest of SPEED_ROUNDS rounds that alternate
them, so that both databases meet the same drift of the machine. PostgreSQL is a local server
with its default settings (`benchmarks/postgres_server.py`), durable: fsync on.

`make bench` runs this suite after the gas suites; `python -m benchmarks.indexer_suite` runs it
alone, the same way, and prints its table (with `--speed`, only the speed rows: the ceiling, the
SQLite and PostgreSQL backfills and their ratios, the backfill without the webhook outbox, and
webhook deliveries per second from the backfilled database, without the 1,000,000-event history).
"""

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from benchmarks.indexer_data import HistoryWriter, history_chain
from benchmarks.postgres_server import create_database, postgres_server
from benchmarks.table import Measurement, render_measurements_console
from benchmarks.webhooks_suite import delivery_measurement
from chain.rpc import RpcClient

SPEED_EVENTS = 200_000
MEMORY_EVENTS = 1_000_000
HOLDERS = 50_000
CEILING_RANGE_BLOCKS = 20
# Rounds of one ceiling pass then one backfill; each figure is the fastest of its rounds. The
# first pass after the node went idle reads what the node has put away (40,000 events/s once,
# against 55,000-66,000 for the next), and this machine's speed drifts by about 15% from one run
# to the next (the host steals CPU time): the best of each compares the two at their least
# disturbed, and alternating them exposes both to the same drift.
SPEED_ROUNDS = 2
POSTGRES_SHARE_TARGET = 0.8
POSTGRES_RATE_TARGET = 25_000
MEMORY_TARGET_MB = 500
FOLLOW_SAMPLES = 10
# The follower's start over the million-event database: its imports and its state's load.
FOLLOWER_START_SECONDS = 120
_REPORT = re.compile(r"indexed ([\d,]+) events up to block [\d,]+ in ([\d.]+) s")


def _index(manifest: Path, database: str, rpc_url: str, *flags: str) -> tuple[int, float, int]:
    """Runs a backfill; returns events, seconds (the indexer's own figure) and the peak RSS in MB
    of this run's indexer: of its process or of its log reader, whichever was larger.

    `wait4` on the indexer's own pid gives its peak and that of the children it waited for (its
    reader); `RUSAGE_CHILDREN` would be the peak of every child this benchmark ever waited for,
    Anvils included.
    """
    command = [sys.executable, "-m", "indexer", "run", "--manifest", str(manifest), "--db", database,
               "--rpc", rpc_url, *flags]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    match = _REPORT.search(text)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"the indexer failed:\n{text[-2000:]}")
    return int(match.group(1).replace(",", "")), float(match.group(2)), usage.ru_maxrss // 1024


@contextmanager
def following(manifest: Path, database_url: str, rpc_url: str, log: Path) -> Iterator[None]:
    """`python -m indexer run --follow` in the background while the block runs; its log in `log`."""
    follower = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--follow", "--manifest", str(manifest),
                                 "--db", database_url, "--rpc", rpc_url],
                                stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        yield
    finally:
        follower.terminate()
        follower.wait(timeout=30)


def _fetch_ceiling(rpc_url: str, addresses: list[str], last_block: int) -> tuple[int, float]:
    """Events per second of merely fetching (and parsing) every log with eth_getLogs."""
    with RpcClient(rpc_url) as rpc:
        started = time.perf_counter()
        events = 0
        for first in range(0, last_block + 1, CEILING_RANGE_BLOCKS):
            for chunk in rpc.logs(addresses, first, min(last_block, first + CEILING_RANGE_BLOCKS - 1)):
                events += len(chunk)
        seconds = time.perf_counter() - started
    return events, seconds


def _seconds(runs: list[tuple[int, float]]) -> str:
    return ", ".join(f"{seconds:.1f}" for _, seconds in runs) + " s"


def _follow_latency(manifest: Path, database: Path, rpc_url: str, writer: HistoryWriter) -> list[float]:
    """Seconds from a mined transaction to its movement being queryable, for a few transactions."""
    log_path = database.with_suffix(".follow.log")
    with following(manifest, f"sqlite:///{database}", rpc_url, log_path), sqlite3.connect(database) as connection:
        def movements() -> int:
            return connection.execute("SELECT COUNT(*) FROM movement").fetchone()[0]

        def mint_and_wait(timeout: float) -> float:
            before = movements()
            writer.mint_one_batch()
            mined = time.perf_counter()
            while movements() == before:
                if time.perf_counter() - mined > timeout:
                    raise RuntimeError(f"the follower did not index a new block within {timeout:.0f} s:\n"
                                       + log_path.read_text()[-2000:])
                time.sleep(0.005)
            return time.perf_counter() - mined

        # Not measured: the block that shows the follower started. The backfill reached the head
        # already, so the checkpoint cannot tell a follower that is still loading from one that
        # waits for blocks, and the first sample took its start-up.
        mint_and_wait(FOLLOWER_START_SECONDS)
        latencies = [mint_and_wait(30) for _ in range(FOLLOW_SAMPLES)]
    return latencies


def _memory_row(name: str, backfill: tuple[int, float, int]) -> Measurement:
    events, seconds, peak_mb = backfill
    return Measurement(f"peak RSS, backfill of {events:,} events into {name}", f"{peak_mb:,} MB",
                       f"< {MEMORY_TARGET_MB} MB", peak_mb < MEMORY_TARGET_MB,
                       note=f"{events / seconds:,.0f} events/s over {seconds:.1f} s")


def indexer_measurements(token_bytecode: str, exchange_bytecode: str, postgres_url: str,
                         keep_database: Path | None = None, speed_only: bool = False) -> list[Measurement]:
    """The indexer's figures. `postgres_url` is a server's database; the backfills create databases
    of their own there, and the 1,000,000-event one stays as `memory`, for the read API's
    benchmark. `keep_database` receives the SQLite database of that backfill (with its WAL files)."""
    rows: list[Measurement] = []
    with history_chain() as node, tempfile.TemporaryDirectory(prefix="points-bench-") as scratch:
        rpc_url = node.url
        writer = HistoryWriter(rpc_url, token_bytecode, exchange_bytecode, HOLDERS)
        directory = Path(scratch)
        manifest = directory / "manifest.json"
        writer.manifest().save(manifest)
        addresses = [writer.exchange, writer.token]

        writer.grow_to(SPEED_EVENTS)
        settled = node.wait_until_idle()
        with RpcClient(rpc_url) as rpc:
            head = rpc.block_number()
        passes, backfills, postgres_backfills, without_webhooks = [], [], [], []
        for round_number in range(SPEED_ROUNDS):
            passes.append(_fetch_ceiling(rpc_url, addresses, head))
            backfills.append(_index(manifest, f"sqlite:///{directory / f'speed-{round_number}.db'}", rpc_url)[:2])
            without_webhooks.append(_index(manifest, f"sqlite:///{directory / f'plain-{round_number}.db'}", rpc_url,
                                           "--no-webhooks")[:2])
            postgres_backfills.append(_index(manifest, create_database(postgres_url, f"speed_{round_number}"),
                                             rpc_url)[:2])
        fetched, fetch_seconds = min(passes, key=lambda passed: passed[1])
        events, seconds = min(backfills, key=lambda backfill: backfill[1])
        postgres_events, postgres_seconds = min(postgres_backfills, key=lambda backfill: backfill[1])
        rate, ceiling = events / seconds, fetched / fetch_seconds
        postgres_rate = postgres_events / postgres_seconds
        _, plain_seconds = min(without_webhooks, key=lambda backfill: backfill[1])
        webhooks_share = plain_seconds / seconds
        rows += [
            Measurement("eth_getLogs alone (ceiling)", f"{ceiling:,.0f} events/s",
                        note=f"{fetched:,} events in {fetch_seconds:.1f} s, the fastest of {_seconds(passes)}, "
                             f"after waiting {settled:.0f} s for the node to go idle"),
            Measurement(f"backfill into SQLite, {events:,} events", f"{rate:,.0f} events/s", ">= 20,000",
                        rate >= 20_000, note=f"{seconds:.1f} s, the fastest of {_seconds(backfills)}, "
                                             "each after a ceiling pass"),
            Measurement("backfill rate / eth_getLogs rate", f"{rate / ceiling:.2f}", ">= 0.50", rate / ceiling >= 0.5),
            Measurement(f"backfill into PostgreSQL, {postgres_events:,} events", f"{postgres_rate:,.0f} events/s",
                        f">= {POSTGRES_RATE_TARGET:,}", postgres_rate >= POSTGRES_RATE_TARGET,
                        note=f"{postgres_seconds:.1f} s, the fastest of {_seconds(postgres_backfills)}, each after "
                             "the SQLite backfill of its round; a local server, default settings"),
            Measurement("backfill rate: PostgreSQL / SQLite", f"{postgres_rate / rate:.2f}",
                        f">= {POSTGRES_SHARE_TARGET:.2f}", postgres_rate / rate >= POSTGRES_SHARE_TARGET),
            Measurement("backfill rate, webhook outbox on / off", f"{webhooks_share:.2f}", ">= 0.90",
                        webhooks_share >= 0.9,
                        note=f"off (--no-webhooks): {events / plain_seconds:,.0f} events/s, the fastest of "
                             f"{_seconds(without_webhooks)}; on: the SQLite backfill above"),
            delivery_measurement(f"sqlite:///{directory / 'speed-0.db'}"),
        ]
        if speed_only:
            return rows

        # Not waited for the node: memory does not depend on it, and a million events keep it
        # busy for many minutes.
        writer.grow_to(MEMORY_EVENTS)
        rows.append(_memory_row("SQLite", _index(manifest, f"sqlite:///{directory / 'memory.db'}", rpc_url)))
        # Before the PostgreSQL backfill: its server writes out that backfill's pages for a while after.
        latencies = sorted(_follow_latency(manifest, directory / "memory.db", rpc_url, writer))
        worst, median = latencies[-1], latencies[len(latencies) // 2]
        follow = Measurement("follow: a new block's events queryable after", f"{worst * 1000:,.0f} ms (worst)",
                             "< 1,000 ms", worst < 1.0,
                             note=f"median {median * 1000:,.0f} ms over {len(latencies)} blocks")
        rows += [_memory_row("PostgreSQL", _index(manifest, create_database(postgres_url, "memory"), rpc_url)), follow]
        if keep_database is not None:
            for suffix in ("", "-wal", "-shm"):
                if (kept := directory / f"memory.db{suffix}").exists():
                    kept.replace(keep_database.with_name(keep_database.name + suffix))
    return rows


def main() -> int:
    # ape finds the compiled contracts from the working directory, which it reads at import.
    os.chdir(Path(__file__).resolve().parent.parent)
    from ape import project

    with postgres_server() as postgres_url:
        rows = indexer_measurements(project.PointsToken.contract_type.deployment_bytecode.bytecode,
                                    project.PartnerExchange.contract_type.deployment_bytecode.bytecode, postgres_url,
                                    speed_only="--speed" in sys.argv[1:])
    render_measurements_console(rows, title="Indexer", console=Console(width=140))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
