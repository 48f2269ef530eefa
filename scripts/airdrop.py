"""`ape run airdrop`: a campaign (sign-up bonuses, a member day) from a CSV of address,amount.

Recipients go through `mint_batch` in chunks; a rerun after a failure sends only the chunks the
chain has no `Issued` event for (see points/airdrop.py), so nothing is issued twice.
"""

from pathlib import Path

import click
from ape import chain
from ape.cli import account_option
from ape.contracts import ContractInstance

from points.airdrop import MAX_CHUNK, campaign_key, plan_chunks, read_campaign
from points.errors import PointsError
from scripts._operator import (
    OperatorCommand,
    check_mintable,
    current_manifest,
    manifest_option,
    merchant_signer,
    one_line_errors,
    program_token,
    send,
)


def _issued_refs(token: ContractInstance, merchant: str, from_block: int) -> set[bytes]:
    logs = token.Issued.range(from_block, chain.blocks.height + 1, search_topics={"merchant": merchant})
    return {bytes(log.ref) for log in logs}


def _check_nothing_pending(address: str) -> None:
    """A sent but unmined chunk is not on chain yet: resending it could issue it twice."""
    web3 = chain.provider.web3
    pending = web3.eth.get_transaction_count(address, "pending") - web3.eth.get_transaction_count(address, "latest")
    if pending > 0:
        raise PointsError(f"{address} has {pending} transaction(s) still pending: rerun once they are mined or dropped")


@click.command(cls=OperatorCommand, short_help="Issue a campaign's points from a CSV file")
@account_option(prompt=False)
@manifest_option()
@click.option("--program", "program_key", required=True, help="the program's key in the manifest")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="rows of address,amount (an `address,amount` header is optional)")
@click.option("--campaign", default=None,
              help="a label that identifies the campaign [default: the file's content]; give a new one to send "
                   "the same file again as another campaign")
@click.option("--chunk-size", type=click.IntRange(1, MAX_CHUNK), default=MAX_CHUNK, show_default=True,
              help="recipients per mint_batch transaction")
@click.option("--merge-duplicates", is_flag=True,
              help="issue an address listed on several lines the sum of its lines [default: refuse the file]")
@one_line_errors
def cli(ecosystem, network, account, manifest_file: Path | None, program_key: str, csv_file: Path,
        campaign: str | None, chunk_size: int, merge_duplicates: bool) -> None:
    manifest = current_manifest(ecosystem.name, network.name, manifest_file)
    read = read_campaign(csv_file, merge_duplicates)
    grants = read.grants
    if read.merged:
        click.echo(f"Warning: {read.merged} address(es) listed on several lines get the sum of their lines")
    token = program_token(manifest, program_key)
    merchant = merchant_signer(account, network.name, token, program_key)
    chunks = plan_chunks(grants, campaign_key(csv_file, campaign), chunk_size)

    _check_nothing_pending(merchant.address)
    done = _issued_refs(token, merchant.address, manifest.program(program_key).block)
    remaining = [chunk for chunk in chunks if chunk.ref not in done]
    symbol = token.symbol()
    issued = sum(len(chunk.grants) for chunk in chunks) - sum(len(chunk.grants) for chunk in remaining)
    click.echo(f"{len(grants)} recipients in {len(chunks)} chunk(s); {issued} recipient(s) already issued "
               f"({len(chunks) - len(remaining)} chunk(s))")
    if not remaining:
        click.echo("Nothing to send: this campaign is fully issued")
        return
    check_mintable(token, program_key, merchant.address, sum(chunk.total for chunk in remaining))

    for chunk in remaining:
        send(
            f"chunk {chunk.index + 1}/{len(chunks)}: {chunk.total} {symbol} to {len(chunk.grants)} recipient(s)",
            token.mint_batch,
            [grant.address for grant in chunk.grants],
            [grant.amount for grant in chunk.grants],
            chunk.ref,
            sender=merchant,
        )
    click.echo(f"Campaign issued: {sum(grant.amount for grant in grants)} {symbol} in all")
