"""`ape run deploy`: deploy an alliance file's programs, merchants, rewards and routes.

The run converges the chain on the file: what already matches is left alone, so re-running on a
chain that holds the deployment sends no transaction, and a run cut short resumes where it
stopped (the manifest is saved after every contract deployed).
"""

from pathlib import Path

import click
from ape import chain, project
from ape.api import AccountAPI
from ape.cli import ConnectedProviderCommand, account_option
from ape.contracts import ContractInstance

from points.alliance import AllianceConfig, ProgramConfig, load_alliance
from points.errors import PointsError
from points.manifest import ContractRecord, Manifest, ProgramRecord, load_manifest
from points.operator import has_code, manifest_option, manifest_path, one_line_errors, send, shown, signer
from points.settings import REPO_ROOT

DEFAULT_ALLIANCE = REPO_ROOT / "config" / "alliance.yaml"


def _block_of(instance: ContractInstance) -> int:
    return chain.provider.get_receipt(instance.txn_hash).block_number


def _reusable(record: ContractRecord | None) -> bool:
    return record is not None and has_code(record.address)


def _check_immutables(key: str, token: ContractInstance, program: ProgramConfig) -> None:
    """A program's constructor arguments cannot change after deployment: say so rather than ignore it."""
    on_chain = {
        "name": token.name(),
        "symbol": token.symbol(),
        "epoch_length": token.epochLength(),
        "validity": token.validityDuration(),
        "cap_period": token.cap_period(),
    }
    for field, value in on_chain.items():
        wanted = getattr(program, field)
        if value != wanted:
            raise PointsError(
                f"programs.{key}.{field} is {wanted!r} in the file but {value!r} on chain; it cannot change "
                "after deployment: deploy the program under a new key"
            )


def _deploy_token(key: str, program: ProgramConfig, deployer: AccountAPI) -> ContractInstance:
    click.echo(f"Deploying program {key!r} ({program.symbol})")
    return deployer.deploy(
        project.PointsToken,
        program.name,
        program.symbol,
        program.epoch_length,
        program.validity,
        program.cap_period,
        program.transferable,
        deployer.address,
    )


def _configure_program(
    key: str, token: ContractInstance, program: ProgramConfig, exchange: ContractInstance, alliance: AllianceConfig,
    deployer: AccountAPI,
) -> None:
    """Grants merchants, lists rewards and sets the switches that differ from the file."""
    wanted_caps = {merchant.address: merchant.cap for merchant in program.merchants}
    if exchange_cap := alliance.exchange_cap(key):
        wanted_caps[exchange.address] = exchange_cap
    for merchant, cap in wanted_caps.items():
        if token.merchant_cap(merchant) != cap:
            send(f"{key}: merchant {merchant} may issue {cap} per period", token.set_merchant, merchant, cap,
                 sender=deployer)

    # Rewards are matched by position: listing is append-only, and the stock of a listed reward
    # moves with redemptions, so a re-run only lists what is missing.
    for reward in program.rewards[token.reward_count():]:
        send(f"{key}: reward {reward.label or reward.price} listed", token.add_reward, reward.price, reward.stock,
             reward.merchant, sender=deployer)

    if token.transferable() != program.transferable:
        send(f"{key}: transferable set to {program.transferable}", token.set_transferable, program.transferable,
             sender=deployer)


def _configure_routes(
    alliance: AllianceConfig, tokens: dict[str, ContractInstance], exchange: ContractInstance, deployer: AccountAPI
) -> None:
    for route in alliance.routes:
        source, target = tokens[route.source], tokens[route.target]
        name = f"route {route.source} -> {route.target}"
        rate_num, rate_den, cap, approved = exchange.routes(source, target)
        if (rate_num, rate_den, cap) != (route.rate_num, route.rate_den, route.cap):
            send(f"{name}: {route.rate_num}:{route.rate_den}, cap {route.cap}", exchange.set_route, source, target,
                 route.rate_num, route.rate_den, route.cap, sender=deployer)
        if not approved:
            send(f"{name}: approved", exchange.approve_route, source, target, True, sender=deployer)


def _hand_over(key: str, token: ContractInstance, program: ProgramConfig, deployer: AccountAPI) -> None:
    """Starts the two-step transfer to the program's owner, who then calls `accept_ownership`."""
    if program.owner and token.owner() != program.owner and token.pending_owner() != program.owner:
        send(f"{key}: ownership offered to {program.owner} (they must accept_ownership)", token.transfer_ownership,
             program.owner, sender=deployer)


@click.command(cls=ConnectedProviderCommand, short_help="Deploy an alliance of loyalty programs")
@account_option(prompt=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_ALLIANCE,
              show_default=True, help="the alliance file to deploy")
@manifest_option()
@one_line_errors
def cli(ecosystem, network, account, config_path: Path, manifest_file: Path | None) -> None:
    alliance = load_alliance(config_path)
    deployer = signer(account, network.name)
    path = manifest_file or manifest_path(ecosystem.name, network.name)

    previous: Manifest | None = None
    if path.is_file():
        previous = load_manifest(path)
        if previous.chain_id != chain.chain_id or not _reusable(previous.exchange):
            click.echo(f"{path} describes another chain's deployment: deploying afresh")
            previous = None

    if previous is not None:
        exchange = project.PartnerExchange.at(previous.exchange.address)
        exchange_record = previous.exchange
    else:
        click.echo("Deploying the partner exchange")
        exchange = deployer.deploy(project.PartnerExchange)
        exchange_record = ContractRecord(address=exchange.address, block=_block_of(exchange))
    manifest = Manifest(
        chain_id=chain.chain_id,
        network=network.name,
        start_block=exchange_record.block,
        exchange=exchange_record,
        programs={},
    )

    tokens: dict[str, ContractInstance] = {}
    for key, program in alliance.programs.items():
        record = previous.programs.get(key) if previous else None
        if record is not None and _reusable(record):
            token = project.PointsToken.at(record.address)
            _check_immutables(key, token, program)
        else:
            token = _deploy_token(key, program, deployer)
            record = ProgramRecord(address=token.address, block=_block_of(token), name=program.name,
                                   symbol=program.symbol)
        tokens[key] = token
        manifest.programs[key] = record
        manifest.start_block = min(manifest.start_block, record.block)
        manifest.save(path)

    for key, program in alliance.programs.items():
        _configure_program(key, tokens[key], program, exchange, alliance, deployer)
    _configure_routes(alliance, tokens, exchange, deployer)
    for key, program in alliance.programs.items():
        _hand_over(key, tokens[key], program, deployer)

    click.echo(f"Deployment of {len(tokens)} programs is up to date: {shown(path)}")
