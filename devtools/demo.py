"""Realistic activity on a local chain, so that the indexer, the API and the benchmarks have something real.

`run_demo` takes any deployed alliance (its manifest) on an Anvil and plays `days` days: customers
(`customers` per program, some members of several programs) buy and earn points at the
programs' merchants, receive campaign bonuses (`mint_batch`), redeem rewards directly or through
a signed redemption a merchant's till relays, give points to friends where the program allows
it, exchange points both ways on the alliance's routes (with a permit, in one transaction, or
signed for a till to relay with `exchange_with_sig`), and let points expire by not spending them
in time; now and then an owner corrects an issuance.

Each day's transactions go into one block, planned from what the chain held before it: plans
only spend what a customer held at the start of the day and give each customer at most one
spending action a day, so no transaction depends on another of the same block (but for a relayed
exchange on its permit, which the same till sends just before, in nonce order). When an epoch
turns overnight, an empty block at the day's time comes first, so that the plan sees the points
that expired. Merchants and owners are impersonated (the demo needs no one's key); customers
are deterministic keys derived from `seed`, because they sign permits and redemptions. The same
seed on the same deployment replays the same activity.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address

from chain.calldata import as_address, calldata, words
from chain.programs import read_settings
from devtools.devchain import DevChain
from points.errors import PointsError
from points.manifest import Manifest
from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    Signature,
    SigningDomain,
    exchange_typed_data,
    permit_typed_data,
    redeem_typed_data,
    sign_typed_data,
)

DAY = 86_400
DEFAULT_CUSTOMERS = 40
DEFAULT_DAYS = 400
DEFAULT_SEED = 7
FUNDING_WEI = 10**18

# Customer behaviour, per customer and day.
BUY_CHANCE = 0.03
ACT_CHANCE = 0.04
CROSS_MEMBERSHIP = 0.3
SIGNED_SHARE = 0.3
ACTION_WEIGHTS = {"redeem": 6, "gift": 2, "exchange": 1}
# Most days a customer who could act keeps saving instead, so unspent points live to expire.
SAVING_WEIGHT = 6
CAMPAIGN_EVERY_DAYS = 30
CAMPAIGN_REACH = 0.6
CORRECTION_EVERY_DAYS = 90
SIGNATURE_LIFETIME = 3_600
# A day's transactions are mined a second after the day's time: no epoch may turn in between, or
# points counted at the start of the day would have expired.
EPOCH_MARGIN = 60

GAS_TRANSFER_ETH = 21_000
GAS_MINT = 200_000
# A spend walks at most `validity` epoch groups of the holder's ring, and a transfer may write as
# many fresh groups at the receiver.
GAS_SPEND_BASE = 150_000
GAS_SPEND_PER_EPOCH = 35_000
GAS_EXCHANGE_EXTRA = 250_000
GAS_PERMIT = 100_000
GAS_BATCH_BASE = 100_000
GAS_BATCH_EACH = 60_000
MAX_BATCH = 256

_MERCHANT_SET_TOPIC = "0x" + keccak(text="MerchantSet(address,uint256,string)").hex()


class DemoError(PointsError):
    """A demo transaction failed: the plan and the chain disagree."""


@dataclass(frozen=True)
class Customer:
    key: bytes
    address: str


@dataclass
class Reward:
    reward_id: int
    merchant: str
    price: int
    stock: int


@dataclass
class Program:
    key: str
    address: str
    name: str
    symbol: str
    epoch_start: int
    epoch_length: int
    validity: int
    transferable: bool
    owner: str
    merchants: list[str]
    rewards: list[Reward]
    members: list[Customer] = field(default_factory=list)

    @property
    def spend_gas(self) -> int:
        return GAS_SPEND_BASE + GAS_SPEND_PER_EPOCH * self.validity

    @property
    def purchase_range(self) -> tuple[int, int]:
        """What one purchase earns: a few purchases buy the cheapest reward."""
        if not self.rewards:
            return 10, 100
        cheapest = min(reward.price for reward in self.rewards)
        low = max(1, cheapest // 6)
        return low, max(low, cheapest // 2)


@dataclass(frozen=True)
class Route:
    source: Program
    target: Program
    rate_num: int
    rate_den: int
    cap: int

    def convert(self, amount_in: int) -> tuple[int, int]:
        """`(amount_used, amount_out)` as PartnerExchange computes them (SPEC section 2)."""
        amount_out = amount_in * self.rate_num // self.rate_den
        return -(-amount_out * self.rate_den // self.rate_num), amount_out


@dataclass(frozen=True)
class Tx:
    kind: str
    description: str
    fields: dict[str, Any]


@dataclass
class DemoReport:
    customers: int
    days: int
    first_block: int
    last_block: int
    start_time: int
    end_time: int
    counts: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        activity = ", ".join(f"{count} {kind}" for kind, count in sorted(self.counts.items()))
        return [
            f"{self.customers} customers over {self.days} days, blocks {self.first_block} to {self.last_block}",
            f"activity: {activity or 'none'}",
        ]


@dataclass
class _DayState:
    """What the chain held at the start of a day, minus what the day's plan already committed."""

    mintable: dict[tuple[str, str], int]
    balances: dict[tuple[str, str], int]
    nonces: dict[tuple[str, str], int]
    exchange_nonces: dict[str, int]
    route_left: dict[tuple[str, str], int]


class _Demo:
    def __init__(self, chain: DevChain, manifest: Manifest, customers: int, seed: int,
                 progress: Callable[[str], None]) -> None:
        self.chain = chain
        self.rng = random.Random(seed)
        self.progress = progress
        self.exchange = manifest.exchange.address
        self.chain_id = chain.rpc.chain_id()
        loaded = [self._load_program(key, manifest) for key in manifest.programs]
        self.programs = [program for program in loaded if program is not None]
        if not self.programs:
            raise PointsError("every program of the deployment is paused: nothing to demonstrate")
        self.routes = self._load_routes()
        self.customers = self._make_customers(customers, seed)
        self.counts: Counter[str] = Counter()
        self.mined_at = chain.head_timestamp()

    def _load_program(self, key: str, manifest: Manifest) -> Program | None:
        record = manifest.programs[key]
        address = record.address
        settings = read_settings(self.chain.rpc, address)
        owner, paused, reward_count = (
            answer[0] for answer in self.chain.calls([(address, calldata(read))
                                                    for read in ("owner()", "paused()", "reward_count()")])
        )
        if paused:
            self.progress(f"{key} is paused: left out of the demo")
            return None
        merchants = self._merchants(address, record.block)
        listed = self.chain.calls([(address, calldata("rewards(uint256)", i)) for i in range(1, reward_count + 1)])
        rewards = [
            Reward(reward_id, to_checksum_address(as_address(merchant)), price, stock)
            for reward_id, (merchant, price, stock, active) in enumerate(listed, start=1)
            if active
        ]
        return Program(
            key=key, address=address, name=record.name, symbol=record.symbol, epoch_start=settings.epoch_start,
            epoch_length=settings.epoch_length, validity=settings.validity, transferable=settings.transferable,
            owner=to_checksum_address(as_address(owner)), merchants=merchants,
            # A revoked merchant's rewards cannot be redeemed.
            rewards=[reward for reward in rewards if reward.merchant in merchants],
        )

    def _merchants(self, token: str, from_block: int) -> list[str]:
        """The merchants whose latest `MerchantSet` left them a cap; the exchange is not a till."""
        caps: dict[str, int] = {}
        for log in self.chain.logs(token, [_MERCHANT_SET_TOPIC], from_block):
            # The data is `cap` and then the name's offset, length and bytes.
            caps[to_checksum_address(as_address(int(log["topics"][1], 16)))] = words(log["data"])[0]
        return [merchant for merchant, cap in caps.items() if cap > 0 and merchant != self.exchange]

    def _load_routes(self) -> list[Route]:
        pairs = [(source, target) for source in self.programs for target in self.programs if source is not target]
        terms = self.chain.calls([
            (self.exchange, calldata("routes(address,address)", source.address, target.address))
            for source, target in pairs
        ])
        return [
            Route(source, target, rate_num, rate_den, cap)
            for (source, target), (rate_num, rate_den, cap, approved) in zip(pairs, terms, strict=True)
            if rate_num and rate_den and cap and approved
        ]

    def _make_customers(self, per_program: int, seed: int) -> list[Customer]:
        people = []
        for index in range(per_program * len(self.programs)):
            key = keccak(text=f"points-demo:{seed}:customer:{index}")
            customer = Customer(key=key, address=Account.from_key(key).address)
            people.append(customer)
            home = self.programs[index % len(self.programs)]
            for program in self.programs:
                if program is home or self.rng.random() < CROSS_MEMBERSHIP:
                    program.members.append(customer)
        return people

    # Time and blocks

    def clear_of_epoch_turns(self, timestamp: int) -> int:
        """`timestamp`, or the start of an epoch when one turns within `EPOCH_MARGIN` seconds after it."""
        moved = True
        while moved:
            moved = False
            for program in self.programs:
                offset = (timestamp - program.epoch_start) % program.epoch_length
                if program.epoch_length > 2 * EPOCH_MARGIN and offset >= program.epoch_length - EPOCH_MARGIN:
                    timestamp += program.epoch_length - offset
                    moved = True
        return timestamp

    def mine(self, timestamp: int) -> None:
        self.chain.mine(timestamp)
        # A lower bound of the head's time: blocks mined without a timestamp may run later.
        self.mined_at = timestamp

    def epoch_turns(self, before: int, after: int) -> bool:
        def epoch(program: Program, timestamp: int) -> int:
            return (timestamp - program.epoch_start) // program.epoch_length

        return any(epoch(program, before) != epoch(program, after) for program in self.programs)

    def execute(self, transactions: list[Tx], timestamp: int) -> None:
        """Mines `transactions` into a block at `timestamp` (more blocks if they exceed one's gas)."""
        if not transactions:
            return
        hashes = self.chain.send([transaction.fields for transaction in transactions])
        self.mine(timestamp)
        while True:
            receipts = self.chain.rpc.receipts(hashes)
            mined = [receipt for receipt in receipts if receipt is not None]
            if len(mined) == len(receipts):
                break
            self.chain.mine()
        for transaction, receipt in zip(transactions, mined, strict=True):
            if int(receipt["status"], 16) != 1:
                raise DemoError(f"demo transaction reverted in block {int(receipt['blockNumber'], 16)}: "
                                f"{transaction.description}")
            self.counts[transaction.kind] += 1

    def fund(self, timestamp: int) -> None:
        """Gas money from a development account for the customers, and for any merchant or owner short of it."""
        funder = self.chain.request("eth_accounts")[0]
        staff = sorted({address for program in self.programs for address in (*program.merchants, program.owner)}
                       | {reward.merchant for program in self.programs for reward in program.rewards})
        balances = self.chain.rpc.batch([("eth_getBalance", (address, "latest")) for address in staff])
        short = [address for address, balance in zip(staff, balances, strict=True) if int(balance, 16) < FUNDING_WEI]
        self.execute([
            Tx("fundings", f"fund {address}",
               {"from": funder, "to": address, "value": hex(FUNDING_WEI), "gas": hex(GAS_TRANSFER_ETH)})
            for address in [customer.address for customer in self.customers] + short
        ], timestamp)

    # One day

    def day(self, number: int, timestamp: int) -> None:
        # Only an epoch's turn takes points away overnight; a new cap period only gives room, so
        # without a turn the previous block's state is a safe basis for the plan.
        if self.epoch_turns(self.mined_at, timestamp + 1):
            self.mine(timestamp)
        actors = [customer for customer in self.customers if self.rng.random() < ACT_CHANCE]
        state = self.read_state(actors)
        transactions = self.purchases(number, state) + self.campaigns(number, state)
        if number % CORRECTION_EVERY_DAYS == CORRECTION_EVERY_DAYS // 2 and actors:
            transactions += self.correction(actors.pop(0), number, state)
        for customer in actors:
            transactions += self.customer_action(customer, timestamp, state)
        self.execute(transactions, timestamp + 1)

    def read_state(self, actors: list[Customer]) -> _DayState:
        mintable_keys = [(program.address, merchant) for program in self.programs for merchant in program.merchants]
        mintable_keys += [(route.target.address, self.exchange) for route in self.routes]
        holder_keys = [(program.address, customer.address) for customer in actors for program in self.programs]
        calls = [(token, calldata("mintable(address)", merchant)) for token, merchant in mintable_keys]
        calls += [(self.exchange, calldata("used(address,address)", route.source.address, route.target.address))
                  for route in self.routes]
        calls += [(token, calldata("balanceOf(address)", holder)) for token, holder in holder_keys]
        calls += [(token, calldata("nonces(address)", holder)) for token, holder in holder_keys]
        calls += [(self.exchange, calldata("nonces(address)", customer.address)) for customer in actors]
        values = iter(answer[0] for answer in self.chain.calls(calls))
        mintable = {key: next(values) for key in mintable_keys}
        route_left = {(route.source.address, route.target.address): route.cap - next(values) for route in self.routes}
        balances = {key: next(values) for key in holder_keys}
        nonces = {key: next(values) for key in holder_keys}
        exchange_nonces = {customer.address: next(values) for customer in actors}
        return _DayState(mintable, balances, nonces, exchange_nonces, route_left)

    def purchases(self, day: int, state: _DayState) -> list[Tx]:
        transactions: list[Tx] = []
        for program in self.programs:
            if not program.merchants:
                continue
            low, high = program.purchase_range
            for customer in program.members:
                if self.rng.random() >= BUY_CHANCE:
                    continue
                merchant = self.rng.choice(program.merchants)
                amount = self.rng.randint(low, high)
                if state.mintable[(program.address, merchant)] < amount:
                    continue
                state.mintable[(program.address, merchant)] -= amount
                ref = keccak(text=f"order:{program.key}:{day}:{len(transactions)}")
                transactions.append(Tx(
                    "purchases", f"{program.key}: {merchant} issues {amount} to {customer.address}",
                    {"from": merchant, "to": program.address, "gas": hex(GAS_MINT),
                     "data": calldata("mint(address,uint256,bytes32)", customer.address, amount, ref)},
                ))
        return transactions

    def campaigns(self, day: int, state: _DayState) -> list[Tx]:
        """Each program's member day: a bonus to a share of its members, every `CAMPAIGN_EVERY_DAYS`."""
        transactions = []
        for index, program in enumerate(self.programs):
            if (day + 7 * index) % CAMPAIGN_EVERY_DAYS or not program.merchants or not program.members:
                continue
            merchant = max(program.merchants, key=lambda candidate: state.mintable[(program.address, candidate)])
            bonus = program.purchase_range[0]
            reach = [member for member in program.members if self.rng.random() < CAMPAIGN_REACH]
            reach = reach[:state.mintable[(program.address, merchant)] // bonus]
            state.mintable[(program.address, merchant)] -= bonus * len(reach)
            ref = keccak(text=f"campaign:{program.key}:{day}")
            for start in range(0, len(reach), MAX_BATCH):
                chunk = [member.address for member in reach[start:start + MAX_BATCH]]
                transactions.append(Tx(
                    "campaign batches", f"{program.key}: {merchant} sends a bonus of {bonus} to {len(chunk)} members",
                    {"from": merchant, "to": program.address, "gas": hex(GAS_BATCH_BASE + GAS_BATCH_EACH * len(chunk)),
                     "data": calldata("mint_batch(address[],uint256[],bytes32)", chunk, [bonus] * len(chunk), ref)},
                ))
        return transactions

    def correction(self, customer: Customer, day: int, state: _DayState) -> list[Tx]:
        """An owner takes back part of a mistaken issuance (`revoke`)."""
        held = [program for program in self.programs if state.balances[(program.address, customer.address)] >= 10]
        if not held:
            return []
        program = self.rng.choice(held)
        amount = state.balances[(program.address, customer.address)] // 10
        ref = keccak(text=f"correction:{program.key}:{day}")
        return [Tx(
            "corrections", f"{program.key}: owner revokes {amount} from {customer.address}",
            {"from": program.owner, "to": program.address, "gas": hex(program.spend_gas),
             "data": calldata("revoke(address,uint256,bytes32)", customer.address, amount, ref)},
        )]

    def customer_action(self, customer: Customer, timestamp: int, state: _DayState) -> list[Tx]:
        def single(action: Callable[[], Tx]) -> Callable[[], list[Tx]]:
            return lambda: [action()]

        options: dict[str, list[Callable[[], list[Tx]]]] = {kind: [] for kind in ACTION_WEIGHTS}
        for program in self.programs:
            balance = state.balances[(program.address, customer.address)]
            if any(reward.price <= balance and reward.stock for reward in program.rewards):
                options["redeem"].append(single(partial(self.redeem, customer, program, timestamp, state)))
            if program.transferable and balance >= 2 and len(program.members) > 1:
                options["gift"].append(single(partial(self.gift, customer, program, state)))
        for route in self.routes:
            if route.convert(state.balances[(route.source.address, customer.address)])[1] > 0:
                options["exchange"].append(partial(self.swap, customer, route, timestamp, state))
        kinds = [kind for kind in ACTION_WEIGHTS if options[kind]]
        weights = [ACTION_WEIGHTS[kind] for kind in kinds]
        kind = self.rng.choices([*kinds, "save"], weights=[*weights, SAVING_WEIGHT])[0]
        if kind == "save":
            return []
        return self.rng.choice(options[kind])()

    def redeem(self, customer: Customer, program: Program, timestamp: int, state: _DayState) -> Tx:
        balance = state.balances[(program.address, customer.address)]
        reward = self.rng.choice([reward for reward in program.rewards if reward.price <= balance and reward.stock])
        quantity = 2 if reward.stock >= 2 and 2 * reward.price <= balance and self.rng.random() < 0.2 else 1
        cost = reward.price * quantity
        reward.stock -= quantity
        state.balances[(program.address, customer.address)] -= cost
        what = f"{program.key}: {customer.address} redeems {quantity} x reward {reward.reward_id}"
        if self.rng.random() >= SIGNED_SHARE:
            return Tx("direct redemptions", what,
                      {"from": customer.address, "to": program.address, "gas": hex(program.spend_gas),
                       "data": calldata("redeem(uint256,uint256,uint256)", reward.reward_id, quantity, cost)})
        deadline = timestamp + SIGNATURE_LIFETIME
        nonce = state.nonces[(program.address, customer.address)]
        typed = redeem_typed_data(self.domain(program), customer.address, reward.reward_id, quantity, cost, nonce,
                                  deadline)
        signature = sign_typed_data(customer.key, typed).packed
        return Tx("signed redemptions", f"{what}, relayed by {reward.merchant}",
                  {"from": reward.merchant, "to": program.address, "gas": hex(program.spend_gas),
                   "data": calldata("redeem_with_sig(address,uint256,uint256,uint256,uint256,bytes)",
                                    customer.address, reward.reward_id, quantity, cost, deadline, signature)})

    def gift(self, customer: Customer, program: Program, state: _DayState) -> Tx:
        friend = self.rng.choice([member for member in program.members if member != customer])
        amount = self.rng.randint(1, state.balances[(program.address, customer.address)] // 2)
        state.balances[(program.address, customer.address)] -= amount
        return Tx("gifts", f"{program.key}: {customer.address} gives {amount} to {friend.address}",
                  {"from": customer.address, "to": program.address, "gas": hex(program.spend_gas),
                   "data": calldata("transfer(address,uint256)", friend.address, amount)})

    def swap(self, customer: Customer, route: Route, timestamp: int, state: _DayState) -> list[Tx]:
        balance = state.balances[(route.source.address, customer.address)]
        room = min(state.route_left[(route.source.address, route.target.address)],
                   state.mintable[(route.target.address, self.exchange)])
        # The largest offer whose output still fits in the route's and the exchange's caps.
        fitting = ((room + 1) * route.rate_den - 1) // route.rate_num
        offered = min(self.rng.randint(max(1, balance // 4), balance), fitting)
        amount_used, amount_out = route.convert(offered)
        if amount_out == 0:
            return []
        state.route_left[(route.source.address, route.target.address)] -= amount_out
        state.mintable[(route.target.address, self.exchange)] -= amount_out
        state.balances[(route.source.address, customer.address)] -= amount_used
        deadline = timestamp + SIGNATURE_LIFETIME
        nonce = state.nonces[(route.source.address, customer.address)]
        typed = permit_typed_data(self.domain(route.source), customer.address, self.exchange, amount_used, nonce,
                                  deadline)
        permit = sign_typed_data(customer.key, typed)
        what = f"{customer.address} exchanges {amount_used} {route.source.key} for {route.target.key}"
        if self.rng.random() >= SIGNED_SHARE or not route.source.merchants:
            return [Tx("exchanges", what,
                       {"from": customer.address, "to": self.exchange,
                        "gas": hex(route.source.spend_gas + GAS_EXCHANGE_EXTRA),
                        "data": calldata(
                            "exchange_with_permit(address,address,uint256,uint256,uint256,uint8,bytes32,bytes32)",
                            route.source.address, route.target.address, amount_used, amount_out, deadline,
                            permit.v, permit.r, permit.s)})]
        return self.relayed_swap(customer, route, amount_used, amount_out, deadline, permit, state, what)

    def relayed_swap(self, customer: Customer, route: Route, amount_used: int, amount_out: int, deadline: int,
                     permit: Signature, state: _DayState, what: str) -> list[Tx]:
        """A till submits the customer's permit, then the customer's signed exchange: the customer pays no gas.

        Both come from the till, so its nonces keep them in order within the day's block."""
        till = self.rng.choice(route.source.merchants)
        typed = exchange_typed_data(
            SigningDomain(EXCHANGE_DOMAIN_NAME, self.chain_id, self.exchange), customer.address,
            route.source.address, route.target.address, amount_used, amount_out,
            state.exchange_nonces[customer.address], deadline,
        )
        signature = sign_typed_data(customer.key, typed).packed
        return [
            Tx("relayed permits", f"{route.source.key}: {till} relays a permit of {customer.address}",
               {"from": till, "to": route.source.address, "gas": hex(GAS_PERMIT),
                "data": calldata("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", customer.address,
                                 self.exchange, amount_used, deadline, permit.v, permit.r, permit.s)}),
            Tx("relayed exchanges", f"{what}, relayed by {till}",
               {"from": till, "to": self.exchange, "gas": hex(route.source.spend_gas + GAS_EXCHANGE_EXTRA),
                "data": calldata("exchange_with_sig(address,address,address,uint256,uint256,uint256,bytes)",
                                 customer.address, route.source.address, route.target.address, amount_used,
                                 amount_out, deadline, signature)}),
        ]

    def domain(self, program: Program) -> SigningDomain:
        return SigningDomain(name=program.name, chain_id=self.chain_id, address=program.address)


def run_demo(
    rpc_url: str,
    manifest: Manifest,
    *,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] = lambda line: None,
) -> DemoReport:
    """Plays `days` days of activity on the Anvil at `rpc_url`, from its latest block's time on."""
    if customers < 1 or days < 1:
        raise PointsError("the demo needs at least one customer per program and one day")
    chain = DevChain(rpc_url)
    try:
        demo = _Demo(chain, manifest, customers, seed, progress)
        start_time = demo.mined_at
        report = DemoReport(len(demo.customers), days, chain.block_number() + 1, 0, start_time, 0)
        with chain.day_blocks():
            demo.fund(start_time + 1)
            for number in range(1, days + 1):
                demo.day(number, demo.clear_of_epoch_turns(start_time + number * DAY))
                if number % max(1, days // 10) == 0:
                    progress(f"day {number}/{days}: {sum(demo.counts.values())} transactions")
        report.last_block = chain.block_number()
        report.end_time = chain.head_timestamp()
        report.counts = demo.counts
        return report
    finally:
        chain.close()
