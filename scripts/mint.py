"""`ape run mint`: a merchant's till issues points to one customer for a purchase."""

from pathlib import Path

import click
from ape.cli import account_option

from scripts._operator import (
    OperatorCommand,
    check_mintable,
    current_manifest,
    manifest_option,
    merchant_signer,
    one_line_errors,
    parse_recipient,
    program_token,
    ref_of,
    send,
)


@click.command(cls=OperatorCommand, short_help="Issue points to one customer")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest, e.g. coffee")
@click.option("--to", "recipient", required=True, help="the customer's address")
@click.option("--amount", type=click.IntRange(min=1), required=True, help="points to issue")
@click.option("--ref", "ref_text", default=None,
              help="the order id; only its keccak hash goes on chain, yet a hash of a guessable value (an email, "
                   "a phone number) can be reversed: never use personal data")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, recipient: str, amount: int,
        ref_text: str | None) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    to = parse_recipient(recipient, "--to")
    token = program_token(manifest, program_key)
    merchant = merchant_signer(account, network.name, token, program_key)
    check_mintable(token, program_key, merchant.address, amount)
    ref = ref_of(ref_text)
    noted = f" (ref 0x{ref.hex()})" if ref_text is not None else ""
    send(f"{program_key}: issued {amount} {token.symbol()} to {to}{noted}", token.mint, to, amount, ref,
         sender=merchant)
