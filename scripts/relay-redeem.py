"""`ape run relay-redeem`: a merchant's till submits a customer's signed redemption and pays the gas,
or, with `--relayer URL`, hands it to the merchant's relayer, which checks it and pays."""

from pathlib import Path

import click
from ape import chain
from ape.cli import account_option

from points.errors import PointsError
from points.preconditions import check_deadline
from points.signing import SignedRedemption, load_signed_redemption, recover_signer
from scripts._operator import (
    OperatorCommand,
    chain_time,
    current_manifest,
    has_code,
    manifest_option,
    merchant_signer,
    one_line_errors,
    program_token,
    send,
)
from scripts._redemption import check_redeemable
from scripts._relayer import relayer_option, submit_redemption


def _check_signature(redemption: SignedRedemption, token_name: str, current_nonce: int) -> None:
    if redemption.chain_id != chain.chain_id:
        raise PointsError(f"the redemption was signed for chain {redemption.chain_id}, not {chain.chain_id}")
    check_deadline(redemption.deadline, chain_time())
    if redemption.nonce != current_nonce:
        raise PointsError(f"the signature's nonce {redemption.nonce} is not the holder's current nonce "
                          f"{current_nonce}: it was already used or superseded")
    # A holder with code (a smart-contract wallet, an EIP-7702 account) may prove its signature
    # through ERC-1271, which the token asks on chain; an account without code can only sign with its key.
    if has_code(redemption.holder):
        return
    if not redemption.is_ecdsa:
        raise PointsError(f"the signature is {len(redemption.signature_bytes)} bytes, but {redemption.holder} has "
                          "no code: an account without code signs with its key, in 65 bytes")
    signer = recover_signer(redemption.typed_data(token_name), redemption.parsed_signature())
    if signer != redemption.holder:
        raise PointsError(f"the signature is not the holder's: it was made by {signer}")


@click.command(cls=OperatorCommand, short_help="Submit a customer's signed redemption")
@account_option(prompt=False)
@manifest_option()
@click.option("--file", "source", type=click.File("r"), default="-", show_default=True,
              help="the JSON printed by `ape run sign-redeem` (- reads standard input)")
@relayer_option()
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, source, relayer_url: str | None) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    redemption = load_signed_redemption(source.read(), source.name)
    if relayer_url is not None:
        if redemption.chain_id != chain.chain_id:
            raise PointsError(f"the redemption was signed for chain {redemption.chain_id}, not {chain.chain_id}")
        status = submit_redemption(relayer_url, redemption)
        click.echo(f"  {status['status']}: {status.get('tx_hash')}")
        return
    program_key, _ = manifest.program_by_address(redemption.token)
    token = program_token(manifest, program_key)
    _check_signature(redemption, token.name(), token.nonces(redemption.holder))
    _, cost = check_redeemable(token, program_key, redemption.holder, redemption.reward_id, redemption.quantity,
                               redemption.max_points)
    relayer = merchant_signer(account, network.name, token, program_key)
    send(
        f"{program_key}: redeemed {redemption.quantity} x reward {redemption.reward_id} for {cost} {token.symbol()} "
        f"on behalf of {redemption.holder}",
        token.redeem_with_sig,
        redemption.holder, redemption.reward_id, redemption.quantity, redemption.max_points, redemption.deadline,
        redemption.signature_bytes,
        sender=relayer,
    )
