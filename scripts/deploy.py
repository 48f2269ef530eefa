"""`ape run deploy`: deploy an alliance file's programs, merchants, rewards and routes.

The run converges the chain on the file: what already matches is left alone, so re-running on a
chain that holds the deployment sends no transaction, and a run cut short resumes where it
stopped (the manifest is saved after every contract deployed). Merchants' and rewards' names go
on chain with `set_merchant` and `add_reward`. The run ends with each cap's true worst case: caps
hold per fixed period, so twice a cap can be issued within seconds across a reset.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.api import AccountAPI
from ape.cli import ConnectedProviderCommand, account_option
from ape.contracts import ContractInstance

from points.alliance import AllianceConfig, ProgramConfig, load_alliance
from points.caps import worst_case
from points.errors import PointsError
from points.manifest import ContractRecord, Manifest, ProgramRecord, load_manifest
from points.settings import REPO_ROOT
from scripts._catalog import merchant_names
from scripts._operator import has_code, manifest_option, manifest_path, one_line_errors, send, shown, signer

DEFAULT_ALLIANCE = REPO_ROOT / "config" / "alliance.yaml"
# The exchange is a merchant of every program a route leads to; this is its name there.
EXCHANGE_NAME = "Partner exchange"


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


def _wanted_merchants(
    key: str, program: ProgramConfig, exchange: ContractInstance, alliance: AllianceConfig
) -> dict[str, tuple[int, str]]:
    """Each merchant's `(cap, name)` as the file wants it, the exchange's included."""
    wanted = {merchant.address: (merchant.cap, merchant.name) for merchant in program.merchants}
    if exchange_cap := alliance.exchange_cap(key):
        wanted[exchange.address] = (exchange_cap, EXCHANGE_NAME)
    return wanted


def _configure_program(
    key: str, token: ContractInstance, block: int, program: ProgramConfig, exchange: ContractInstance,
    alliance: AllianceConfig, deployer: AccountAPI,
) -> None:
    """Grants merchants, lists rewards and sets the switches that differ from the file."""
    wanted = _wanted_merchants(key, program, exchange, alliance)
    names = merchant_names(token, block)
    for merchant, (cap, name) in wanted.items():
        if (token.merchant_cap(merchant), names.get(merchant)) != (cap, name):
            send(f"{key}: merchant {merchant} ({name or 'no name'}) may issue {cap} per period", token.set_merchant,
                 merchant, cap, name, sender=deployer)

    # Rewards are matched by position: listing is append-only, and the stock of a listed reward
    # moves with redemptions, so a re-run only lists what is missing.
    for reward in program.rewards[token.reward_count():]:
        send(f"{key}: reward {reward.name or reward.price} listed", token.add_reward, reward.price, reward.stock,
             reward.merchant, reward.name, sender=deployer)

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
            # New terms withdraw the sending owner's approval of the old ones (unless only the cap fell).
            approved = exchange.routes(source, target)[3]
        if not approved:
            send(f"{name}: approved", exchange.approve_route, source, target, True, sender=deployer)


def _report_caps(alliance: AllianceConfig, exchange: ContractInstance) -> None:
    """Says what each cap really allows: periods are fixed, so a reset lets twice a cap through."""
    click.echo("Caps hold per fixed period: across a reset, twice a cap can be issued within seconds.")
    for key, program in alliance.programs.items():
        for merchant, (cap, name) in _wanted_merchants(key, program, exchange, alliance).items():
            bound = worst_case(cap, program.cap_period, program.symbol)
            click.echo(f"  {key}: merchant {merchant} ({name or 'no name'}): {bound}")
    for route in alliance.routes:
        target = alliance.programs[route.target]
        bound = worst_case(route.cap, target.cap_period, target.symbol)
        click.echo(f"  route {route.source} -> {route.target}: {bound}")


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
    blocks: dict[str, int] = {}
    for key, program in alliance.programs.items():
        record = previous.programs.get(key) if previous else None
        if record is not None and _reusable(record):
            token = project.PointsToken.at(record.address)
            _check_immutables(key, token, program)
        else:
            token = _deploy_token(key, program, deployer)
            record = ProgramRecord(address=token.address, block=_block_of(token), name=program.name,
                                   symbol=program.symbol)
        tokens[key], blocks[key] = token, record.block
        manifest.programs[key] = record
        manifest.start_block = min(manifest.start_block, record.block)
        manifest.save(path)

    for key, program in alliance.programs.items():
        _configure_program(key, tokens[key], blocks[key], program, exchange, alliance, deployer)
    _configure_routes(alliance, tokens, exchange, deployer)
    for key, program in alliance.programs.items():
        _hand_over(key, tokens[key], program, deployer)

    _report_caps(alliance, exchange)

    click.echo(f"Deployment of {len(tokens)} programs is up to date: {shown(path)}")
