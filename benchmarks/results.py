"""Writes the latest table to benchmarks/RESULTS.md (the README points there)."""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.api_suite import CONNECTIONS, SHARE_ROUND_SECONDS, SHARE_ROUNDS
from benchmarks.indexer_suite import SPEED_ROUNDS
from benchmarks.table import Measurement, Row, failures, render_markdown, render_measurements_markdown

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
COMMAND = "make bench  # APE_FOUNDRY_HOST=auto .venv/bin/python -m benchmarks"

RELAYER_INTRODUCTION = (
    "`python -m relayer` (one process: uvicorn and one worker thread, SQLite queue) against an Anvil that mines a "
    "block every second, with this process as the customers (`benchmarks/relayer_suite.py`), all on the same 2 "
    "cores. Accepted per second: presigned redemptions posted over 50 connections, each checked against the chain "
    "(one JSON-RPC batch, signature recovery, a simulation) and committed before its 202, while the worker sends; "
    "the fastest of 2 rounds of 1,000, each after the queue is sent, after 50 requests that warm the relayer up. "
    "POST to mined: 50 customers redeeming one after another, each waiting for `mined`.")


def write_results(rows: Sequence[Row], setting: str, measurements: Sequence[Measurement] = (),
                  api_rows: Sequence[Measurement] = (), stream_rows: Sequence[Measurement] = (),
                  relayer_rows: Sequence[Measurement] = (), path: Path = RESULTS) -> Path:
    missed = [row.operation for row in failures(rows)] + [m.name for m in [*measurements, *api_rows, *stream_rows,
                                                                           *relayer_rows]
                                                          if m.passed is False]
    verdict = "Every target is met." if not missed else "Targets missed: " + "; ".join(missed) + "."
    indexer_section = _section(
        "Indexer", measurements,
        "A backfill by `python -m indexer run` (a child process; its own report gives the rate) of "
        "`mint_batch` campaigns spread over many days, into SQLite and into a local PostgreSQL server "
        "(default settings, fsync on); the ceiling is fetching the same logs with `eth_getLogs` alone, in "
        f"the same run. Each is the fastest of {SPEED_ROUNDS} rounds that alternate a ceiling pass, a "
        "SQLite backfill and a PostgreSQL backfill. Peak RSS is the indexer's (its log reader's "
        "included), not the database server's.")
    api_section = _section(
        "Read API", api_rows,
        "`python -m api` (uvicorn, one worker) over each database of the 1,000,000-event backfills above; "
        "the client (`benchmarks/http_load.py`) runs on the same 2 cores. Per route, after 1 s of warm-up: "
        "latency over 5 s of requests one at a time, then requests/s over 5 s of 4 keep-alive connections. "
        "`/v1/version` is the trivial endpoint: the framework's ceiling. The account view's share of it is the "
        f"median of {SHARE_ROUNDS} rounds that alternate {SHARE_ROUND_SECONDS:g} s of each on {CONNECTIONS} "
        "connections against the same warm server (every other round starting with the account view), so that "
        "what else the machine runs weighs on both sides alike.")
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Latest run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, with",
            "",
            "```sh",
            COMMAND,
            "```",
            "",
            setting,
            "",
            "Gas is `gasUsed` from mined transactions' receipts (after refunds, including the",
            "21,000 intrinsic gas and calldata), except the `balanceOf` rows, which are",
            "`eth_estimateGas` of the call. `ratio` is PointsToken / plain ERC-20; `target` is the",
            "highest acceptable ratio, and a row without one is informational.",
            "",
            render_markdown(rows).rstrip("\n"),
            "",
            *indexer_section,
            *api_section,
            *_section(
                "Live feed", stream_rows,
                "`python -m api` (one worker) over PostgreSQL, which `python -m indexer run --follow` fills "
                "from a chain of its own; this process holds the `/v1/stream` connections, each following one "
                "account that every new block pays. See `benchmarks/stream_suite.py`."),
            *_section("Relayer", relayer_rows, RELAYER_INTRODUCTION),
            verdict,
            "",
        ]
    )
    path.write_text(text)
    return path


def _section(title: str, measurements: Sequence[Measurement], introduction: str) -> list[str]:
    if not measurements:
        return []
    return [f"## {title}", "", introduction, "", render_measurements_markdown(measurements).rstrip("\n"), ""]
