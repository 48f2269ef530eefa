"""`ape run deploy`: make the chain match an alliance file's programs, merchants, rewards and routes.

The file is the desired state. The run reads what the chain holds, shows the plan (what it will
deploy and change, per program), asks before sending on a live network (unless `--yes`), and sends
nothing when nothing differs; `points.deployment_plan` says how merchants, rewards and routes are
matched. A run cut short resumes where it stopped: the manifest is saved after every contract
deployed, and the next run plans only what is still missing. It ends with each cap's true worst
case: caps hold per fixed period, so twice a cap can be issued within seconds across a reset.
"""

from pathlib import Path

import click
from ape import chain, project
from ape.api import AccountAPI
from ape.cli import account_option
from ape.contracts import ContractInstance

from points.alliance import AllianceConfig, ProgramConfig, load_alliance
from points.caps import worst_case
from points.deployment_plan import (
    EXCHANGE,
    ROUTES,
    AddReward,
    ApproveRoute,
    ChainState,
    MerchantState,
    OfferOwnership,
    Plan,
    ProgramState,
    RewardState,
    RouteState,
    SetMerchant,
    SetReward,
    SetRoute,
    SetTransferable,
    Step,
    plan,
    wanted_merchants,
)
from points.errors import PointsError
from points.manifest import ContractRecord, Manifest, ProgramRecord, load_manifest
from points.settings import REPO_ROOT
from scripts._catalog import catalog, merchant_names, stocks_last_set
from scripts._operator import (
    OperatorCommand,
    has_code,
    is_local,
    manifest_option,
    manifest_path,
    one_line_errors,
    send,
    shown,
    signer,
)

DEFAULT_ALLIANCE = REPO_ROOT / "config" / "alliance.yaml"
ZERO_ADDRESS = "0x" + "00" * 20


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


def _previous_deployment(path: Path) -> Manifest | None:
    """The manifest to build on, or None when there is none for this chain."""
    if not path.is_file():
        return None
    previous = load_manifest(path)
    if previous.chain_id != chain.chain_id or not _reusable(previous.exchange):
        click.echo(f"{shown(path)} describes another chain's deployment: deploying afresh")
        return None
    return previous


def _program_state(token: ContractInstance, block: int, exchange: str | None) -> ProgramState:
    """A deployed program's switches, owners, merchants (the exchange under EXCHANGE) and rewards."""
    names = merchant_names(token, block)
    merchants = {
        EXCHANGE if address == exchange else address: MerchantState(token.merchant_cap(address), name)
        for address, name in names.items()
    }
    stocks = stocks_last_set(token, block)
    rewards = [
        RewardState(reward_id=reward.reward_id, merchant=reward.merchant, name=reward.name, price=reward.price,
                    stock=reward.stock, active=reward.active, stock_last_set=stocks[reward.reward_id])
        for reward in catalog(token, block, names)
    ]
    pending = token.pending_owner()
    return ProgramState(transferable=token.transferable(), owner=token.owner(),
                        pending_owner="" if pending == ZERO_ADDRESS else pending, merchants=merchants,
                        rewards=rewards)


def _route_states(tokens: dict[str, ContractInstance], exchange: ContractInstance) -> dict[tuple[str, str], RouteState]:
    """The routes on chain between the file's deployed programs; a route never set reads as all zeros."""
    routes = {}
    for source, source_token in tokens.items():
        for target, target_token in tokens.items():
            if source != target:
                route = RouteState(*exchange.routes(source_token, target_token))
                if route != RouteState(0, 0, 0, False):
                    routes[(source, target)] = route
    return routes


def _show(plan_: Plan, deployments: list[str], deployer: str, network: str) -> None:
    click.echo(f"Plan for {network} (chain {chain.chain_id}), signed by {deployer}:")
    for line in deployments:
        click.echo(f"  deploy {line}")
    for program, steps in plan_.by_program().items():
        click.echo(f"  {program}:")
        for step in steps:
            click.echo(f"    {step.description}")
    for note in plan_.notes:
        click.echo(f"  note: {note}")


def _signer_of(step: Step, state: ChainState) -> str:
    """Who the contracts accept for a step: a program's owner, or a route's owner on the right side."""
    if isinstance(step, SetRoute):
        return state.programs[step.target].owner
    if isinstance(step, ApproveRoute):
        return state.programs[step.source].owner
    return state.programs[step.program].owner


def _check_signer(plan_: Plan, state: ChainState, deployer: str) -> None:
    for step in plan_.steps:
        owner = _signer_of(step, state)
        if owner != deployer:
            where = "a route" if step.program == ROUTES else f"program {step.program!r}"
            raise PointsError(f"{where} is owned by {owner}, not {deployer}: run the deploy with --account of "
                              f"its owner ({step.description})")


def _send(step: Step, tokens: dict[str, ContractInstance], exchange: ContractInstance, deployer: AccountAPI) -> None:
    where = "" if step.program == ROUTES else f"{step.program}: "
    description = where + step.description
    match step:
        case SetMerchant():
            merchant = exchange.address if step.merchant == EXCHANGE else step.merchant
            send(description, tokens[step.program].set_merchant, merchant, step.cap, step.name, sender=deployer)
        case AddReward():
            reward = step.reward
            send(description, tokens[step.program].add_reward, reward.price, reward.stock, reward.merchant,
                 reward.name, sender=deployer)
        case SetReward():
            send(description, tokens[step.program].set_reward, step.reward_id, step.price, step.stock, step.active,
                 sender=deployer)
        case SetTransferable():
            send(description, tokens[step.program].set_transferable, step.transferable, sender=deployer)
        case SetRoute():
            send(description, exchange.set_route, tokens[step.source], tokens[step.target], step.rate_num,
                 step.rate_den, step.cap, sender=deployer)
        case ApproveRoute():
            send(description, exchange.approve_route, tokens[step.source], tokens[step.target], True,
                 sender=deployer)
        case OfferOwnership():
            send(description, tokens[step.program].transfer_ownership, step.owner, sender=deployer)
        case _:
            raise AssertionError(f"no way to send {step!r}")


def _report_caps(alliance: AllianceConfig, exchange: ContractInstance) -> None:
    """Says what each cap really allows: periods are fixed, so a reset lets twice a cap through."""
    click.echo("Caps hold per fixed period: across a reset, twice a cap can be issued within seconds.")
    for key, program in alliance.programs.items():
        for merchant, wanted in wanted_merchants(alliance, key).items():
            address = exchange.address if merchant == EXCHANGE else merchant
            bound = worst_case(wanted.cap, program.cap_period, program.symbol)
            click.echo(f"  {key}: merchant {address} ({wanted.name or 'no name'}): {bound}")
    for route in alliance.routes:
        target = alliance.programs[route.target]
        bound = worst_case(route.cap, target.cap_period, target.symbol)
        click.echo(f"  route {route.source} -> {route.target}: {bound}")


@click.command(cls=OperatorCommand, short_help="Make the chain match an alliance file")
@account_option(prompt=False)
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_ALLIANCE,
              show_default=True, help="the alliance file to deploy")
@click.option("--yes", is_flag=True, help="send without asking, also on a live network")
@manifest_option()
@one_line_errors
def cli(ecosystem, network, account, config_path: Path, yes: bool, manifest_file: Path | None) -> None:
    alliance = load_alliance(config_path)
    deployer = signer(account, network.name)
    path = manifest_file or manifest_path(ecosystem.name, network.name)
    previous = _previous_deployment(path)

    exchange = project.PartnerExchange.at(previous.exchange.address) if previous else None
    tokens: dict[str, ContractInstance] = {}
    blocks: dict[str, int] = {}
    states: dict[str, ProgramState] = {}
    deployments = [] if exchange else ["the partner exchange"]
    for key, program in alliance.programs.items():
        record = previous.programs.get(key) if previous else None
        if record is not None and _reusable(record):
            tokens[key], blocks[key] = project.PointsToken.at(record.address), record.block
            _check_immutables(key, tokens[key], program)
            states[key] = _program_state(tokens[key], record.block, exchange.address if exchange else None)
        else:
            deployments.append(f"program {key!r} ({program.symbol})")
            states[key] = ProgramState.fresh(program, deployer.address)
    state = ChainState(programs=states, routes=_route_states(tokens, exchange) if exchange else {})
    changes = plan(alliance, state)
    dropped = sorted(set(previous.programs) - set(alliance.programs)) if previous else []
    for key in dropped:
        changes.notes.append(f"{key}: in {shown(path)} but not in the file: it stays on chain but leaves the "
                             "manifest, so the indexer no longer follows it")

    if not changes and not deployments:
        click.echo(f"Nothing to change: the chain matches {shown(config_path)}")
        for note in changes.notes:
            click.echo(f"  note: {note}")
    else:
        _show(changes, deployments, deployer.address, f"{ecosystem.name}:{network.name}")
        _check_signer(changes, state, deployer.address)
        if not (yes or is_local(network.name)):
            count = len(deployments) + len(changes.steps)
            if not click.confirm(f"Send these {count} transactions?"):
                raise PointsError("not confirmed: nothing sent")

    if exchange is None:
        click.echo("Deploying the partner exchange")
        exchange = deployer.deploy(project.PartnerExchange)
        exchange_record = ContractRecord(address=exchange.address, block=_block_of(exchange))
    else:
        assert previous is not None
        exchange_record = previous.exchange
    manifest = Manifest(chain_id=chain.chain_id, network=network.name, start_block=exchange_record.block,
                        exchange=exchange_record, programs={})
    for key, program in alliance.programs.items():
        if key not in tokens:
            click.echo(f"Deploying program {key!r} ({program.symbol})")
            tokens[key] = deployer.deploy(project.PointsToken, program.name, program.symbol, program.epoch_length,
                                          program.validity, program.cap_period, program.transferable,
                                          deployer.address)
            blocks[key] = _block_of(tokens[key])
        manifest.programs[key] = ProgramRecord(address=tokens[key].address, block=blocks[key], name=program.name,
                                               symbol=program.symbol)
        manifest.start_block = min(manifest.start_block, blocks[key])
        manifest.save(path)

    for step in changes.steps:
        _send(step, tokens, exchange, deployer)

    _report_caps(alliance, exchange)
    click.echo(f"Deployment of {len(tokens)} programs is up to date: {shown(path)}")
