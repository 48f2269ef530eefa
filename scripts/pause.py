"""`ape run pause`: stops every holder and merchant action of one or more programs at once, during
an incident. The owner or a pauser may pause; only the owner can lift it (`ape run unpause`)."""

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
from scripts._roles import check_owner_or_pauser


@click.command(cls=OperatorCommand, short_help="Pause programs (owner or pauser)")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_keys", multiple=True, required=True,
              help="the program's key in the manifest; repeat to pause several")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_keys: tuple[str, ...]) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    sender = signer(account, network.name)
    tokens = {key: program_token(manifest, key) for key in program_keys}
    for key, token in tokens.items():
        check_owner_or_pauser(token, key, sender.address)
    for key, token in tokens.items():
        if token.paused():
            click.echo(f"  {key}: already paused")
        else:
            send(f"{key}: paused", token.pause, sender=sender)
    click.echo("Only a program's owner can lift its pause: ape run unpause --program KEY")
