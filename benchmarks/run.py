"""Runs every benchmark suite on a fresh Anvil, prints the table, writes RESULTS.md.

`--gas-only` leaves out the indexer, the API and the live feed; `--suite NAME` (repeatable) runs
only the named gas suites, and `--speed-only` only the gas suites and the backfill speed rows
(without the 1,000,000-event history, the read API and the live feed, which take many minutes);
both print their rows without touching RESULTS.md, which keeps the full table.
"""

import argparse
import tempfile
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path

from ape import accounts, chain, project
from ape.logging import logger
from rich.console import Console

from benchmarks.api_suite import api_measurements, indexed_events
from benchmarks.baseline import compile_plain_erc20
from benchmarks.context import Bench
from benchmarks.indexer_suite import indexer_measurements
from benchmarks.ledger_suite import ledger_rows
from benchmarks.network import fresh_anvil
from benchmarks.params import EPOCH_LENGTH, VALIDITY
from benchmarks.postgres_server import postgres_server
from benchmarks.relayer_suite import relayer_measurements
from benchmarks.results import write_results
from benchmarks.spending_suite import name_rows, spending_rows
from benchmarks.stream_suite import stream_measurements
from benchmarks.table import Measurement, Row, failures, render_console, render_measurements_console

Suite = Callable[[Bench], list[Row]]

SUITES: Mapping[str, Suite] = {"ledger": ledger_rows, "spending": spending_rows, "names": name_rows}
# Not a gas suite: the relayer runs as a service on an Anvil of its own that mines a block a second.
RELAYER = "relayer"


def _setting() -> str:
    return (
        f"PointsToken with validity {VALIDITY} epochs of {EPOCH_LENGTH:,} s against snekmate "
        f"{version('snekmate')}'s `erc20` (benchmarks/contracts/PlainERC20.vy), both compiled by "
        f"vyper {version('vyper')} (optimize gas), on a fresh Anvil through eth-ape {version('eth-ape')}."
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Gas, indexer and API benchmarks.")
    parser.add_argument("--gas-only", action="store_true", help="leave out the indexer and the API")
    parser.add_argument("--suite", action="append", choices=[*SUITES, RELAYER], default=None,
                        help="run only this suite and print it (RESULTS.md is left as it is)")
    parser.add_argument("--speed-only", action="store_true",
                        help="of the indexer, only the backfill speed rows (SQLite and PostgreSQL): no "
                             "1,000,000-event history, read API or live feed (RESULTS.md is left as it is)")
    return parser.parse_args()


def main() -> int:
    arguments = _arguments()
    suites = arguments.suite or [*SUITES, RELAYER]
    gas_suites = [name for name in suites if name in SUITES]
    # Wide enough for one line per row when the output is piped (rich assumes 80 columns).
    console = Console(width=max(Console().width, 140))
    logger.set_level("ERROR")
    rows: list[Row] = []
    measurements: list[Measurement] = []
    api_rows: list[Measurement] = []
    stream_rows: list[Measurement] = []
    with fresh_anvil():
        test_accounts = accounts.test_accounts
        bench = Bench(
            chain=chain,
            owner=test_accounts[0],
            merchant=test_accounts[1],
            holders=[test_accounts[i] for i in range(2, len(test_accounts))],
            points_token=project.PointsToken,
            plain_erc20=compile_plain_erc20(project.config.vyper.evm_version),
            exchange=project.PartnerExchange,
        )
        for name in gas_suites:
            rows.extend(SUITES[name](bench))
    if gas_suites:
        render_console(rows, title="Gas: PointsToken vs plain ERC-20", console=console)
    relayer_rows: list[Measurement] = []
    if RELAYER in suites and not arguments.gas_only and not arguments.speed_only:
        relayer_rows = relayer_measurements(project.PointsToken.contract_type.deployment_bytecode.bytecode,
                                            project.PartnerExchange.contract_type.deployment_bytecode.bytecode)
        render_measurements_console(relayer_rows, title="Relayer", console=console)
    if arguments.suite:
        return _verdict(rows, relayer_rows, console)
    if not arguments.gas_only:
        token_bytecode = project.PointsToken.contract_type.deployment_bytecode.bytecode
        exchange_bytecode = project.PartnerExchange.contract_type.deployment_bytecode.bytecode
        with tempfile.TemporaryDirectory(prefix="points-bench-api-") as scratch, postgres_server() as postgres_url:
            database = Path(scratch) / "indexed.db"
            measurements = indexer_measurements(token_bytecode, exchange_bytecode, postgres_url,
                                                keep_database=database, speed_only=arguments.speed_only)
            render_measurements_console(measurements, title="Indexer", console=console)
            if arguments.speed_only:
                return _verdict(rows, measurements, console)
            sqlite_url, postgres_memory = f"sqlite:///{database}", postgres_url.rsplit("/", 1)[0] + "/memory"
            api_rows += api_measurements(sqlite_url, indexed_events(sqlite_url), "SQLite")
            # The target over PostgreSQL is the p99; the share of the ceiling is SQLite's.
            api_rows += api_measurements(postgres_memory, indexed_events(postgres_memory), "PostgreSQL",
                                         share_target=False)
            render_measurements_console(api_rows, title="Read API", console=console)
        stream_rows = stream_measurements(token_bytecode, exchange_bytecode)
        render_measurements_console(stream_rows, title="Live feed", console=console)

    setting = _setting()
    console.print(setting, highlight=False)
    path = write_results(rows, setting, measurements, api_rows, stream_rows, relayer_rows)
    console.print(f"Written to {path.relative_to(path.parent.parent)}", highlight=False)
    return _verdict(rows, [*measurements, *api_rows, *stream_rows, *relayer_rows], console)


def _verdict(rows: list[Row], measurements: list[Measurement], console: Console) -> int:
    """Names every missed target; the exit code is 1 when there is one."""
    missed = failures(rows)
    for row in missed:
        console.print(f"[bold red]FAIL[/] {row.operation}: ratio {row.ratio:.2f} > {row.target:.2f}")
    for measurement in measurements:
        if measurement.passed is False:
            console.print(f"[bold red]FAIL[/] {measurement.name}: {measurement.value}, target {measurement.target}")
    return 1 if missed or any(m.passed is False for m in measurements) else 0
