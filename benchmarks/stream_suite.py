"""The live feed under many subscribers: 1,000 `/v1/stream` connections on one API process.

A history of its own on an Anvil of its own, followed by `python -m indexer run --follow` into a
local PostgreSQL server, served by `python -m api` (one worker). This process opens the
subscribers, each a wallet that follows its own account (`?account=`), spread over the holders
that every new `mint_batch` block pays, so each block brings each subscriber one movement. The
latency is from the block being mined to each subscriber's receipt of its movement: it includes
the indexer's own follow latency. The database's statement rate comes from `pg_stat_statements`,
with a few subscribers and then with all of them connected.

    python -m benchmarks.stream_suite
"""

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psycopg
from rich.console import Console

from benchmarks.api_suite import api_server
from benchmarks.indexer_data import RECIPIENTS_PER_BATCH, HistoryWriter, history_chain
from benchmarks.indexer_suite import following
from benchmarks.postgres_server import postgres_server
from benchmarks.table import Measurement, render_measurements_console
from chain.rpc import RpcClient

SUBSCRIBERS = 1_000
FEW_SUBSCRIBERS = 10
HISTORY_EVENTS = 5_000
BLOCKS = 5
# Seconds for subscribers' first reads (each reads from its own position to the present) to settle.
SETTLE_SECONDS = 2.0
RATE_SECONDS = 5.0
DELIVERY_TIMEOUT_SECONDS = 30.0
P95_TARGET_SECONDS = 1.0
# Statements per second with every subscriber connected, against a few: at most this many times.
RATE_GROWTH_TARGET = 1.5
# The API's reads; not the server's own bookkeeping or this benchmark's count.
_API_STATEMENTS = ("SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements "
                   "WHERE query ILIKE 'select%' AND query NOT ILIKE '%pg_stat_statements%'")


class Subscriber:
    """One server-sent event stream; records when each block's movement arrives."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.received: dict[int, float] = {}
        self.connected = asyncio.Event()

    def newest(self) -> int:
        return max(self.received, default=-1)

    def received_after(self, block: int) -> float:
        """When the first movement of a block after `block` arrived."""
        return min(at for number, at in self.received.items() if number > block)

    async def listen(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /v1/stream?account={self.account} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status = await reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"/v1/stream answered {status!r}")
        while await reader.readline() not in (b"\r\n", b""):
            pass
        self.connected.set()
        try:
            while line := await reader.readline():
                # Chunked transfer: size lines and the events' own lines; only the data lines matter.
                if line.startswith(b"data: "):
                    self.received.setdefault(orjson.loads(line[6:])["block"], time.perf_counter())
        finally:
            writer.close()


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _statements(database_url: str) -> int:
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as connection:
        row = connection.execute(_API_STATEMENTS).fetchone()
    return int(row[0]) if row else 0


async def _statement_rate(database_url: str) -> float:
    before = await asyncio.to_thread(_statements, database_url)
    await asyncio.sleep(RATE_SECONDS)
    return (await asyncio.to_thread(_statements, database_url) - before) / RATE_SECONDS


def _indexed_block(database_url: str) -> int:
    try:
        with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as connection:
            row = connection.execute("SELECT indexed_block FROM checkpoint").fetchone()
    except psycopg.errors.UndefinedTable:
        return -1
    return row[0] if row else -1


def _wait_for_block(database_url: str, block: int, log: Path) -> None:
    deadline = time.monotonic() + 120
    while _indexed_block(database_url) < block:
        if time.monotonic() > deadline:
            raise RuntimeError("the follower did not catch up:\n" + log.read_text()[-2000:])
        time.sleep(0.2)


async def _measure(api_url: str, database_url: str, writer: HistoryWriter, rpc: RpcClient) -> list[Measurement]:
    parts = urlsplit(api_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    subscribers = [Subscriber(writer.holders[index % len(writer.holders)]) for index in range(SUBSCRIBERS)]
    tasks: list[asyncio.Task[None]] = []

    async def connect(group: list[Subscriber]) -> None:
        tasks.extend(asyncio.create_task(subscriber.listen(host, port)) for subscriber in group)
        await asyncio.wait_for(asyncio.gather(*(subscriber.connected.wait() for subscriber in group)), 120)
        await asyncio.sleep(SETTLE_SECONDS)

    async def deliveries(listening: list[Subscriber]) -> list[float]:
        """Seconds from each of BLOCKS new blocks being mined to each subscriber's receipt of its movement."""
        latencies: list[float] = []
        for _ in range(BLOCKS):
            before = await asyncio.to_thread(rpc.block_number)
            await asyncio.to_thread(writer.mint_one_batch)
            mined = time.perf_counter()
            deadline = mined + DELIVERY_TIMEOUT_SECONDS
            while missing := [subscriber for subscriber in listening if subscriber.newest() <= before]:
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{len(missing)} subscribers received no movement of a block after {before}")
                await asyncio.sleep(0.01)
            latencies += [subscriber.received_after(before) - mined for subscriber in listening]
        return sorted(latencies)

    try:
        await connect(subscribers[:FEW_SUBSCRIBERS])
        few_rate = await _statement_rate(database_url)
        few_latencies = await deliveries(subscribers[:FEW_SUBSCRIBERS])
        await connect(subscribers[FEW_SUBSCRIBERS:])
        many_rate = await _statement_rate(database_url)
        statements_before, started = await asyncio.to_thread(_statements, database_url), time.perf_counter()
        latencies = await deliveries(subscribers)
        delivery_rate = ((await asyncio.to_thread(_statements, database_url) - statements_before)
                         / (time.perf_counter() - started))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    p95, worst = _percentile(latencies, 0.95), latencies[-1]
    return [
        Measurement(f"stream: {SUBSCRIBERS:,} subscribers on one API process, a new block's movement delivered "
                    "after: p95 / worst", f"{p95 * 1000:,.0f} / {worst * 1000:,.0f} ms",
                    f"p95 <= {P95_TARGET_SECONDS * 1000:,.0f} ms", p95 <= P95_TARGET_SECONDS,
                    note=f"{len(latencies):,} deliveries over {BLOCKS} blocks, from the block being mined (the "
                         f"indexer's follow latency included); median {_percentile(latencies, 0.5) * 1000:,.0f} ms; "
                         f"with {FEW_SUBSCRIBERS} subscribers, p95 {_percentile(few_latencies, 0.95) * 1000:,.0f} ms, "
                         f"median {_percentile(few_latencies, 0.5) * 1000:,.0f} ms"),
        Measurement(f"stream: database statements/s, {FEW_SUBSCRIBERS} vs {SUBSCRIBERS:,} subscribers",
                    f"{few_rate:,.1f} vs {many_rate:,.1f}", f"<= {RATE_GROWTH_TARGET:g}x",
                    many_rate <= RATE_GROWTH_TARGET * max(few_rate, 1.0),
                    note=f"pg_stat_statements' SELECTs over {RATE_SECONDS:g} s with no new block; "
                         f"{delivery_rate:,.1f}/s while the {BLOCKS} blocks were delivered"),
    ]


def stream_measurements(token_bytecode: str, exchange_bytecode: str) -> list[Measurement]:
    with history_chain() as node, postgres_server(count_statements=True) as database_url, \
            tempfile.TemporaryDirectory(prefix="points-bench-stream-") as scratch:
        # One campaign pays every holder: each block has a movement for every subscriber.
        writer = HistoryWriter(node.url, token_bytecode, exchange_bytecode, holders=RECIPIENTS_PER_BATCH)
        writer.grow_to(HISTORY_EVENTS)
        manifest, log = Path(scratch) / "manifest.json", Path(scratch) / "follow.log"
        writer.manifest().save(manifest)
        with RpcClient(node.url) as rpc, following(manifest, database_url, node.url, log):
            _wait_for_block(database_url, rpc.block_number(), log)
            with api_server(database_url) as api_url:
                return asyncio.run(_measure(api_url, database_url, writer, rpc))


def main() -> int:
    os.chdir(Path(__file__).resolve().parent.parent)
    from ape import project

    rows = stream_measurements(project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode)
    render_measurements_console(rows, title="Live feed", console=Console(width=160))
    return 1 if any(row.passed is False for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
