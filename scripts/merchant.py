"""`ape run merchant`: the owner grants a till a cap, changes it or its name, or revokes it.

A revoked merchant (cap 0) can no longer issue points, list or change rewards, and its rewards can
no longer be redeemed. Caps hold per fixed period, so the script states the true worst case."""

from pathlib import Path

import click
from ape.cli import account_option

from points.alliance import check_on_chain_name
from points.caps import worst_case
from points.errors import PointsError
from scripts._catalog import catalog, merchant_names
from scripts._operator import (
    OperatorCommand,
    current_manifest,
    manifest_option,
    one_line_errors,
    parse_address,
    program_token,
    send,
    signer,
)
from scripts._roles import check_owner


def _name(given: str | None, current: str | None, merchant: str) -> str:
    if given is None:
        if current is None:
            raise PointsError(f"{merchant} is not yet a merchant: give its public name with --name")
        return current
    try:
        check_on_chain_name(given, "--name")
    except ValueError as error:
        raise PointsError(str(error)) from None
    return given


@click.command(cls=OperatorCommand, short_help="Set or revoke a merchant's cap (owner)")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest, e.g. coffee")
@click.option("--address", "merchant_address", required=True, help="the merchant's (till's) address")
@click.option("--cap", type=click.IntRange(min=1, max=2**96 - 1), default=None,
              help="points the merchant may issue per cap period")
@click.option("--revoke", is_flag=True, help="set the cap to 0: the merchant can no longer act")
@click.option("--name", default=None,
              help="the merchant's public label, e.g. 'Downtown store' (never personal data) [default: its current "
                   "name]")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, merchant_address: str,
        cap: int | None, revoke: bool, name: str | None) -> None:
    if (cap is None) == (not revoke):
        raise click.UsageError("give either --cap N or --revoke")
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    merchant = parse_address(merchant_address, "--address")
    record = manifest.program(program_key)
    token = program_token(manifest, program_key)
    owner = signer(account, network.name)
    check_owner(token, program_key, owner.address, "set its merchants")
    wanted_cap = 0 if cap is None else cap  # None exactly when revoking
    current_name = merchant_names(token, record.block).get(merchant)
    wanted_name = _name(name, current_name, merchant)
    if (token.merchant_cap(merchant), current_name) == (wanted_cap, wanted_name):
        click.echo(f"  {program_key}: {merchant} ({wanted_name}) already has cap {wanted_cap:,}; nothing sent")
        return
    # Only a revocation reports rewards, so only it reads the catalog (a log scan and a call per reward).
    was_redeemable = [reward for reward in catalog(token, record.block)
                      if reward.merchant == merchant and reward.redeemable] if revoke else []
    action = "revoked" if revoke else f"may issue {wanted_cap:,} per period"
    send(f"{program_key}: merchant {merchant} ({wanted_name}) {action}", token.set_merchant, merchant, wanted_cap,
         wanted_name, sender=owner)
    if revoke:
        if was_redeemable:
            listed = ", ".join(f"#{reward.reward_id} {reward.name}" for reward in was_redeemable)
            click.echo(f"  its rewards can no longer be redeemed: {listed}")
    else:
        click.echo(f"  {worst_case(wanted_cap, token.cap_period(), record.symbol)}")
