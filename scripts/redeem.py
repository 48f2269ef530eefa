"""`ape run redeem`: a customer spends points on a reward, paying the gas."""

from pathlib import Path

import click
from ape.cli import account_option

from scripts._operator import (
    OperatorCommand,
    current_manifest,
    customer_signer,
    manifest_option,
    one_line_errors,
    program_token,
    send,
)
from scripts._redemption import check_redeemable


@click.command(cls=OperatorCommand, short_help="Redeem points for a reward")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest")
@click.option("--reward", "reward_id", type=click.IntRange(min=1), required=True, help="the reward's id")
@click.option("--quantity", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-points", type=click.IntRange(min=1), default=None,
              help="the most to pay; the redemption fails if the price rose above it [default: the current cost]")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, reward_id: int, quantity: int,
        max_points: int | None) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    token = program_token(manifest, program_key)
    holder = customer_signer(account)
    _, cost = check_redeemable(token, program_key, holder.address, reward_id, quantity, max_points)
    send(f"{program_key}: redeemed {quantity} x reward {reward_id} for {cost} {token.symbol()}", token.redeem,
         reward_id, quantity, max_points or cost, sender=holder)
