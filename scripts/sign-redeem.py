"""`ape run sign-redeem`: a customer signs a redemption for a merchant's till to submit.

The customer needs no gas: the printed JSON goes to the merchant (a QR code, a file), who runs
`ape run relay-redeem`; or, with `--relayer URL`, it is posted to the merchant's relayer at once.
The signature is bound to this program, chain, reward, quantity, price ceiling, the customer's
current nonce and a deadline.
"""

from pathlib import Path

import click
from ape import chain
from ape.cli import account_option

from points.preconditions import utc
from points.signing import Signature, SignedRedemption, SigningDomain, redeem_typed_data, signable
from scripts._operator import (
    OperatorCommand,
    chain_time,
    current_manifest,
    customer_signer,
    manifest_option,
    one_line_errors,
    program_token,
)
from scripts._redemption import check_redeemable
from scripts._relayer import relayer_option, submit_redemption


@click.command(cls=OperatorCommand, short_help="Sign a redemption for a merchant to relay")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest")
@click.option("--reward", "reward_id", type=click.IntRange(min=1), required=True, help="the reward's id")
@click.option("--quantity", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--max-points", type=click.IntRange(min=1), default=None,
              help="the most the merchant may charge [default: the current cost]")
@click.option("--valid-for", type=click.IntRange(min=1), default=3600, show_default=True,
              help="seconds until the signature expires")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="write the JSON to this file [default: print it]")
@relayer_option()
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, reward_id: int, quantity: int,
        max_points: int | None, valid_for: int, output: Path | None, relayer_url: str | None) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    token = program_token(manifest, program_key)
    holder = customer_signer(account)
    _, cost = check_redeemable(token, program_key, holder.address, reward_id, quantity, max_points)
    ceiling = max_points or cost
    nonce = token.nonces(holder.address)
    deadline = chain_time() + valid_for
    domain = SigningDomain(name=token.name(), chain_id=chain.chain_id, address=token.address)
    signed = holder.sign_message(
        signable(redeem_typed_data(domain, holder.address, reward_id, quantity, ceiling, nonce, deadline))
    )
    if signed is None:
        raise click.ClickException("the account declined to sign")
    redemption = SignedRedemption(
        chain_id=chain.chain_id, token=token.address, holder=holder.address, reward_id=reward_id, quantity=quantity,
        max_points=ceiling, nonce=nonce, deadline=deadline,
        signature="0x" + Signature.from_parts(signed.v, signed.r, signed.s).packed.hex(),
    )
    if relayer_url is not None:
        status = submit_redemption(relayer_url, redemption)
        click.echo(f"  {status['status']}: {status.get('tx_hash')}")
    elif output is None:
        click.echo(redemption.to_json())
    else:
        output.write_text(redemption.to_json() + "\n")
        click.echo(f"Signed redemption written to {output}; it expires at {utc(deadline)}", err=True)
