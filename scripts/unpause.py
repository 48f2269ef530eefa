"""`ape run unpause`: the owner lifts the pause of one or more programs. A pauser cannot: a
single leaked monitoring key must not undo an incident response."""

from pathlib import Path

import click
from ape.cli import account_option

from scripts._operator import (
    OperatorCommand,
    current_manifest,
    manifest_option,
    one_line_errors,
    program_token,
    send,
    signer,
)
from scripts._roles import check_owner


@click.command(cls=OperatorCommand, short_help="Lift programs' pause (owner only)")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_keys", multiple=True, required=True,
              help="the program's key in the manifest; repeat to unpause several")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_keys: tuple[str, ...]) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    sender = signer(account, network.name)
    tokens = {key: program_token(manifest, key) for key in program_keys}
    for key, token in tokens.items():
        check_owner(token, key, sender.address, "unpause it")
    for key, token in tokens.items():
        if token.paused():
            send(f"{key}: unpaused", token.unpause, sender=sender)
        else:
            click.echo(f"  {key}: not paused")
