"""What `ape run deploy` must change so that the chain matches the alliance file.

The alliance file is the desired state. This module compares it with what the chain holds (read by
the deploy script into the plain records below) and returns the changes as a list of steps, each of
which says what it does. It reads no chain and sends nothing, so the plan can be shown, confirmed
and tested before a single transaction.

Matching rules:
- a merchant is its address; one on chain with a cap but absent from the file is revoked (cap 0);
- a reward is its name within its program: names cannot change on chain, so a reward keeps its name
  for life and the name is its key. To retire a reward, mark it `active: false`; a reward on chain
  that the file does not name is left as it is (merchants may list their own);
- a reward's stock moves with redemptions, so the file's stock is compared with the stock last set
  on purpose (at listing, or by a `set_reward` that changed it), not with what is left: a re-run
  does not restock what customers took, and a new stock in the file is set as it stands;
- a route is its ordered pair of programs; one on chain that the file no longer has is closed (cap 0).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from points.alliance import AllianceConfig, ProgramConfig, RewardConfig, RouteConfig

# The exchange is a merchant of every program a route leads to. Its address is known only once it is
# deployed, so steps name it by this marker until the deploy script sends them.
EXCHANGE: Final = "exchange"
EXCHANGE_NAME: Final = "Partner exchange"


@dataclass(frozen=True)
class MerchantState:
    cap: int
    name: str


@dataclass(frozen=True)
class RewardState:
    reward_id: int
    merchant: str
    name: str
    price: int
    stock: int
    active: bool
    stock_last_set: int


@dataclass(frozen=True)
class RouteState:
    rate_num: int
    rate_den: int
    cap: int
    approved: bool


@dataclass(frozen=True)
class ProgramState:
    """A deployed program as the chain holds it; merchants by address, the exchange's under EXCHANGE."""

    transferable: bool
    owner: str
    pending_owner: str
    merchants: dict[str, MerchantState] = field(default_factory=dict)
    rewards: list[RewardState] = field(default_factory=list)


    @classmethod
    def fresh(cls, program: ProgramConfig, deployer: str) -> "ProgramState":
        """A program about to be deployed: the constructor sets its switch and makes the deployer owner."""
        return cls(transferable=program.transferable, owner=deployer, pending_owner="")


@dataclass(frozen=True)
class ChainState:
    """Every program of the file by key (`ProgramState.fresh` for those not deployed yet), and the
    routes on chain by `(from, to)` key pair."""

    programs: dict[str, ProgramState]
    routes: dict[tuple[str, str], RouteState]


@dataclass(frozen=True)
class Step:
    """One change: the program it belongs to (`routes` for the exchange), and what it does."""

    program: str
    description: str


@dataclass(frozen=True)
class SetMerchant(Step):
    merchant: str
    cap: int
    name: str


@dataclass(frozen=True)
class AddReward(Step):
    reward: RewardConfig


@dataclass(frozen=True)
class SetReward(Step):
    reward_id: int
    price: int
    stock: int
    active: bool


@dataclass(frozen=True)
class SetTransferable(Step):
    transferable: bool


@dataclass(frozen=True)
class SetRoute(Step):
    source: str
    target: str
    rate_num: int
    rate_den: int
    cap: int


@dataclass(frozen=True)
class ApproveRoute(Step):
    source: str
    target: str


@dataclass(frozen=True)
class OfferOwnership(Step):
    owner: str


@dataclass(frozen=True)
class Plan:
    steps: list[Step]
    # Things the file does not govern, said so the operator is not surprised they stay.
    notes: list[str]

    def __bool__(self) -> bool:
        return bool(self.steps)

    def by_program(self) -> dict[str, list[Step]]:
        grouped: dict[str, list[Step]] = {}
        for step in self.steps:
            grouped.setdefault(step.program, []).append(step)
        return grouped


ROUTES: Final = "routes"


def _merchant_label(address: str) -> str:
    return "the partner exchange" if address == EXCHANGE else address


def wanted_merchants(alliance: AllianceConfig, key: str) -> dict[str, MerchantState]:
    """Each merchant of a program as the file wants it, the exchange (under EXCHANGE) included."""
    program = alliance.programs[key]
    wanted = {merchant.address: MerchantState(merchant.cap, merchant.name) for merchant in program.merchants}
    if exchange_cap := alliance.exchange_cap(key):
        wanted[EXCHANGE] = MerchantState(exchange_cap, EXCHANGE_NAME)
    return wanted


def _merchant_steps(alliance: AllianceConfig, key: str, state: ProgramState) -> Iterator[Step]:
    wanted = wanted_merchants(alliance, key)
    for address, merchant in wanted.items():
        current = state.merchants.get(address)
        if current == merchant:
            continue
        label = _merchant_label(address)
        if current is None or current.cap == 0:
            change = f"may issue {merchant.cap:,} per period"
        elif current.cap != merchant.cap:
            change = f"cap {current.cap:,} -> {merchant.cap:,} per period"
        else:
            change = f"renamed from {current.name!r}"
        yield SetMerchant(key, f"merchant {label} ({merchant.name or 'no name'}): {change}", address, merchant.cap,
                          merchant.name)
    for address, current in state.merchants.items():
        if address not in wanted and current.cap > 0:
            yield SetMerchant(key, f"merchant {_merchant_label(address)} ({current.name or 'no name'}): revoked, "
                                   "not in the file", address, 0, current.name)


def _reward_steps(key: str, program: ProgramConfig, state: ProgramState, notes: list[str]) -> Iterator[Step]:
    # Later listings of a name win: a merchant may have listed the same name again.
    on_chain = {reward.name: reward for reward in state.rewards}
    for reward in program.rewards:
        current = on_chain.get(reward.name)
        if current is not None and current.merchant != reward.merchant:
            if current.active:
                yield SetReward(key, f"reward #{current.reward_id} {reward.name!r}: deactivated, its merchant "
                                     f"changes to {reward.merchant}", current.reward_id, current.price,
                                current.stock, False)
            current = None
        if current is None:
            if reward.active:
                yield AddReward(key, f"reward {reward.name!r}: listed at {reward.price:,} points, stock "
                                     f"{reward.stock:,}", reward)
            continue
        stock = reward.stock if reward.stock != current.stock_last_set else current.stock
        if (current.price, current.stock, current.active) == (reward.price, stock, reward.active):
            continue
        changes = []
        if current.price != reward.price:
            changes.append(f"price {current.price:,} -> {reward.price:,}")
        if stock != current.stock:
            changes.append(f"stock {current.stock:,} -> {stock:,}")
        if current.active != reward.active:
            changes.append("activated" if reward.active else "deactivated")
        yield SetReward(key, f"reward #{current.reward_id} {reward.name!r}: {', '.join(changes)}",
                        current.reward_id, reward.price, stock, reward.active)
    named = {reward.name for reward in program.rewards}
    for current in state.rewards:
        if current.name not in named and current.active and on_chain[current.name] is current:
            notes.append(f"{key}: reward #{current.reward_id} {current.name!r} is not in the file: left as it is "
                         "(to retire it, add it with `active: false`)")


def _program_steps(alliance: AllianceConfig, key: str, state: ProgramState, notes: list[str]) -> Iterator[Step]:
    program = alliance.programs[key]
    yield from _merchant_steps(alliance, key, state)
    yield from _reward_steps(key, program, state, notes)
    if state.transferable != program.transferable:
        yield SetTransferable(key, f"transferable: {state.transferable} -> {program.transferable}",
                              program.transferable)


def _route_steps(alliance: AllianceConfig, state: ChainState) -> Iterator[Step]:
    wanted: dict[tuple[str, str], RouteConfig] = {(route.source, route.target): route for route in alliance.routes}
    for (source, target), route in wanted.items():
        name = f"route {source} -> {target}"
        current = state.routes.get((source, target))
        terms = (route.rate_num, route.rate_den, route.cap)
        approved = current is not None and current.approved
        if current is None or (current.rate_num, current.rate_den, current.cap) != terms:
            yield SetRoute(ROUTES, f"{name}: {route.rate_num}:{route.rate_den}, cap {route.cap:,}", source, target,
                           *terms)
            # New terms withdraw the sending owner's approval, unless only the cap fell.
            approved = approved and current is not None and (current.rate_num, current.rate_den) == terms[:2] \
                and route.cap <= current.cap
        if not approved:
            yield ApproveRoute(ROUTES, f"{name}: approved by {source}'s owner", source, target)
    for (source, target), current in state.routes.items():
        if (source, target) not in wanted and current.cap > 0:
            yield SetRoute(ROUTES, f"route {source} -> {target}: closed (cap 0), not in the file", source, target,
                           current.rate_num, current.rate_den, 0)


def _ownership_steps(alliance: AllianceConfig, state: ChainState) -> Iterator[Step]:
    for key, program in alliance.programs.items():
        current = state.programs[key]
        if program.owner and program.owner not in (current.owner, current.pending_owner):
            yield OfferOwnership(key, f"ownership offered to {program.owner} (they must call accept_ownership)",
                                 program.owner)


def plan(alliance: AllianceConfig, state: ChainState) -> Plan:
    """The steps that make `state` match `alliance`, in the order they must be sent."""
    notes: list[str] = []
    steps: list[Step] = []
    for key in alliance.programs:
        steps.extend(_program_steps(alliance, key, state.programs[key], notes))
    steps.extend(_route_steps(alliance, state))
    # Last: once the owner accepts, the deployer can no longer configure the program.
    steps.extend(_ownership_steps(alliance, state))
    return Plan(steps, notes)
