"""Runs every benchmark suite on a fresh Anvil, prints the table, writes RESULTS.md."""

import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from ape import accounts, chain, project
from ape.logging import logger
from rich.console import Console

from benchmarks.api_suite import api_measurements, indexed_events
from benchmarks.baseline import compile_plain_erc20
from benchmarks.context import Bench
from benchmarks.ledger_suite import ledger_rows
from benchmarks.network import fresh_anvil
from benchmarks.params import EPOCH_LENGTH, VALIDITY
from benchmarks.results import write_results
from benchmarks.spending_suite import spending_rows
from benchmarks.indexer_suite import indexer_measurements
from benchmarks.table import Measurement, Row, failures, render_console, render_measurements_console

Suite = Callable[[Bench], list[Row]]

SUITES: Sequence[Suite] = (ledger_rows, spending_rows)


def _setting() -> str:
    return (
        f"PointsToken with validity {VALIDITY} epochs of {EPOCH_LENGTH:,} s against snekmate "
        f"{version('snekmate')}'s `erc20` (benchmarks/contracts/PlainERC20.vy), both compiled by "
        f"vyper {version('vyper')} (optimize gas), on a fresh Anvil through eth-ape {version('eth-ape')}."
    )


def main() -> int:
    # Wide enough for one line per row when the output is piped (rich assumes 80 columns).
    console = Console(width=max(Console().width, 140))
    logger.set_level("ERROR")
    rows: list[Row] = []
    measurements: list[Measurement] = []
    api_rows: list[Measurement] = []
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
        for suite in SUITES:
            rows.extend(suite(bench))
    render_console(rows, title="Gas: PointsToken vs plain ERC-20", console=console)
    if "--gas-only" not in sys.argv[1:]:
        with tempfile.TemporaryDirectory(prefix="points-bench-api-") as scratch:
            database = Path(scratch) / "indexed.db"
            measurements = indexer_measurements(
                project.PointsToken.contract_type.deployment_bytecode.bytecode,
                project.PartnerExchange.contract_type.deployment_bytecode.bytecode,
                keep_database=database,
            )
            render_measurements_console(measurements, title="Indexer", console=console)
            api_rows = api_measurements(f"sqlite:///{database}", indexed_events(f"sqlite:///{database}"))
            render_measurements_console(api_rows, title="Read API", console=console)

    setting = _setting()
    console.print(setting, highlight=False)
    path = write_results(rows, setting, measurements, api_rows)
    console.print(f"Written to {path.relative_to(path.parent.parent)}", highlight=False)
    missed = failures(rows)
    for row in missed:
        console.print(f"[bold red]FAIL[/] {row.operation}: ratio {row.ratio:.2f} > {row.target:.2f}")
    for measurement in [*measurements, *api_rows]:
        if measurement.passed is False:
            console.print(f"[bold red]FAIL[/] {measurement.name}: {measurement.value}, target {measurement.target}")
    return 1 if missed or any(m.passed is False for m in [*measurements, *api_rows]) else 0
