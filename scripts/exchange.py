"""`ape run exchange`: a customer converts points into a partner program's points in one transaction.

The customer signs an EIP-2612 permit for the exchange, which `exchange_with_permit` applies, so no
separate `approve` transaction is needed.
"""

from pathlib import Path

import click
from ape import chain
from ape.cli import account_option

from points.preconditions import ExchangeView, exchange_amounts
from points.signing import Signature, SigningDomain, permit_typed_data, signable
from scripts._operator import (
    OperatorCommand,
    chain_time,
    current_manifest,
    customer_signer,
    exchange_contract,
    manifest_option,
    one_line_errors,
    program_token,
    send,
)


@click.command(cls=OperatorCommand, short_help="Exchange points for a partner program's points")
@account_option(prompt=False)
@manifest_option()
@click.option("--from", "source_key", required=True, help="the program whose points you give")
@click.option("--to", "target_key", required=True, help="the program whose points you receive")
@click.option("--amount", type=click.IntRange(min=1), required=True,
              help="points offered; only the part that converts to whole points is spent")
@click.option("--min-out", type=click.IntRange(min=1), default=None,
              help="the fewest points to accept [default: the current quote]")
@click.option("--valid-for", type=click.IntRange(min=1), default=600, show_default=True,
              help="seconds the permit stays valid")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, source_key: str, target_key: str, amount: int,
        min_out: int | None, valid_for: int) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    source, target = program_token(manifest, source_key), program_token(manifest, target_key)
    exchange = exchange_contract(manifest)
    holder = customer_signer(account)
    rate_num, rate_den, cap, approved = exchange.routes(source.address, target.address)
    view = ExchangeView(
        source=source_key, target=target_key, symbol_in=source.symbol(), symbol_out=target.symbol(),
        source_paused=source.paused(), target_paused=target.paused(), rate_num=rate_num, rate_den=rate_den, cap=cap,
        approved=approved, route_used=exchange.used(source.address, target.address),
        balance=source.balanceOf(holder.address), allowance=None,
    )
    quoted_used, quoted_out = exchange.quote(source.address, target.address, amount)
    used, out = exchange_amounts(view, amount, (quoted_used, quoted_out), min_out, holder.address)
    symbol_in, symbol_out = view.symbol_in, view.symbol_out

    deadline = chain_time() + valid_for
    domain = SigningDomain(name=source.name(), chain_id=chain.chain_id, address=source.address)
    # Offering only what converts leaves no allowance behind: the rest never leaves the wallet anyway.
    typed = permit_typed_data(domain, holder.address, exchange.address, used, source.nonces(holder.address), deadline)
    signed = holder.sign_message(signable(typed))
    if signed is None:
        raise click.ClickException("the account declined to sign")
    permit = Signature.from_parts(signed.v, signed.r, signed.s)
    left_over = f" ({amount - used} {symbol_in} stay with you)" if used < amount else ""
    send(f"exchanged {used} {symbol_in} for {out} {symbol_out}{left_over}", exchange.exchange_with_permit,
         source.address, target.address, used, min_out or out, deadline, permit.v, permit.r, permit.s,
         sender=holder)
