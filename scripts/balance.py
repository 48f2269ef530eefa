"""`ape run balance`: an account's points per program, by expiry date, and what expires next."""

from pathlib import Path

import click
from ape.cli import account_option

from points.errors import PointsError
from points.preconditions import utc
from scripts._holdings import holding_of
from scripts._operator import (
    OperatorCommand,
    current_manifest,
    manifest_option,
    one_line_errors,
    parse_address,
    program_token,
)


@click.command(cls=OperatorCommand, short_help="Show an account's points and when they expire")
@account_option(prompt=False)
@manifest_option()
@click.option("--address", default=None, help="any address (instead of --account)")
@click.option("--program", "program_key", default=None, help="one program's key [default: every program]")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, address: str | None,
        program_key: str | None) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    if (account is None) == (address is None):
        raise PointsError("give either --account or --address")
    holder = account.address if address is None else parse_address(address, "--address")
    keys = [program_key] if program_key is not None else list(manifest.programs)
    tokens = {key: program_token(manifest, key) for key in keys}

    click.echo(f"Points of {holder}")
    for key, token in tokens.items():
        symbol = token.symbol()
        holding = holding_of(token, holder)
        click.echo(f"{key}: {holding.balance} {symbol}")
        for group in holding.groups:
            click.echo(f"  {group.amount:>12} {symbol} expire at {utc(group.expires_at)}")
        if (soonest := holding.next_expiry) is not None:
            click.echo(f"  next expiry: {soonest.amount} {symbol} at {utc(soonest.expires_at)}")
