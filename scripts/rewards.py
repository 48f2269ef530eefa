"""`ape run rewards`: a program's catalog, so that customers and operators see every reward's id,
name, merchant, price and stock, and whether it can be redeemed now."""

from pathlib import Path

import click

from scripts._catalog import Reward, catalog
from scripts._operator import OperatorCommand, current_manifest, manifest_option, one_line_errors, program_token


def _state(reward: Reward) -> str:
    if reward.merchant_revoked:
        return "not redeemable: its merchant was revoked"
    if not reward.active:
        return "inactive"
    if reward.stock == 0:
        return "out of stock"
    return "redeemable"


@click.command(cls=OperatorCommand, short_help="List a program's rewards")
@manifest_option()
@click.option("--program", "program_keys", multiple=True,
              help="the program's key in the manifest; repeat for several [default: every program]")
@one_line_errors
def cli(ecosystem, network, manifest_file: Path | None, program_keys: tuple[str, ...]) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    for key in program_keys or tuple(manifest.programs):
        record = manifest.program(key)
        token = program_token(manifest, key)
        rewards = catalog(token, record.block)
        click.echo(f"{key} ({record.symbol}): {len(rewards)} rewards")
        for reward in rewards:
            merchant = f"{reward.merchant_name} ({reward.merchant})" if reward.merchant_name else reward.merchant
            click.echo(f"  #{reward.reward_id} {reward.name or '(no name)'}: {reward.price:,} {record.symbol}, "
                       f"{reward.stock:,} in stock, at {merchant}; {_state(reward)}")
