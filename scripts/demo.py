"""`ape run demo`: months of realistic activity on the local chain (see devtools/demo.py)."""

from pathlib import Path

import click
from ape import chain

from devtools.demo import DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_SEED, run_demo
from points.errors import PointsError
from points.preconditions import utc
from scripts._operator import OperatorCommand, current_manifest, is_local, manifest_option, one_line_errors


@click.command(cls=OperatorCommand, short_help="Drive realistic activity on the local chain")
@manifest_option()
@click.option("--customers", type=click.IntRange(min=1), default=DEFAULT_CUSTOMERS, show_default=True,
              help="customers per program")
@click.option("--days", type=click.IntRange(min=1), default=DEFAULT_DAYS, show_default=True,
              help="days of activity; the chain's clock moves forward by as much")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="the same seed replays the same activity")
@one_line_errors
def cli(ecosystem, network, manifest_file: Path | None, customers: int, days: int, seed: int) -> None:
    if not is_local(network.name):
        raise PointsError("the demo moves the chain's clock and runs only on the local development chain")
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    click.echo(f"Playing {days} days of activity with {customers} customers per program")
    report = run_demo(chain.provider.uri, manifest, customers=customers, days=days, seed=seed, progress=click.echo)
    for line in report.lines():
        click.echo(line)
    click.echo(f"The chain's clock now reads {utc(report.end_time)}")
