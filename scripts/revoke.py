"""`ape run revoke`: the owner removes points from an account to correct a mistaken or fraudulent
issuance, soonest-expiring first, with a reference to the correction's reason. It works while the
program is paused, so that corrections can be made during an incident."""

from pathlib import Path

import click
from ape.cli import account_option

from points.errors import PointsError
from scripts._operator import (
    OperatorCommand,
    current_manifest,
    manifest_option,
    one_line_errors,
    parse_address,
    program_token,
    ref_of,
    send,
    signer,
)
from scripts._roles import check_owner


@click.command(cls=OperatorCommand, short_help="Remove points from an account (owner)")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest, e.g. coffee")
@click.option("--from", "holder_address", required=True, help="the account whose points are removed")
@click.option("--amount", type=click.IntRange(min=1), required=True, help="points to remove")
@click.option("--ref", "ref_text", required=True,
              help="the correction's reference, e.g. a ticket id; only its keccak hash goes on chain: never "
                   "personal data")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, holder_address: str,
        amount: int, ref_text: str) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    holder = parse_address(holder_address, "--from")
    token = program_token(manifest, program_key)
    owner = signer(account, network.name)
    check_owner(token, program_key, owner.address, "revoke points")
    symbol = manifest.program(program_key).symbol
    if (held := token.balanceOf(holder)) < amount:
        raise PointsError(f"{holder} holds {held:,} {symbol}, fewer than the {amount:,} to revoke")
    ref = ref_of(ref_text)
    send(f"{program_key}: revoked {amount:,} {symbol} from {holder} (ref 0x{ref.hex()})", token.revoke, holder,
         amount, ref, sender=owner)
