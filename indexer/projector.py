"""Turns decoded events into the database's facts and state.

Logs are applied in chain order, one transaction at a time, because a burn's meaning comes from
its neighbours: a `Transfer` to the zero address is a redemption when the same transaction logs
`Redeemed`, a correction with `Revoked`, an exchange with `Exchanged`, and a plain burn
otherwise. Which epochs a spend takes is not in the logs: the projector replays the contract's
rule (soonest-expiring first) on the shared ledger model, which also says when points expire, so
each account's history records its expiries although no transaction marks them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from database.kinds import DailyCounter, MovementKind
from indexer.events import RAW_EVENT_FIELDS, ZERO_ADDRESS, DecodedLog
from indexer.state import TrackedState
from indexer.store import Fact, Key, Row
from points.ledger import ExpiringLedger

MAX_STORED_INTEGER = 2**63 - 1


class ValueOutOfRange(ValueError):
    pass


@dataclass(frozen=True)
class ProgramParams:
    address: str
    key: str
    name: str
    symbol: str
    epoch_start: int
    epoch_length: int
    validity: int
    cap_period: int
    deployed_block: int
    transferable: bool


SECONDS_PER_DAY = 86_400


@lru_cache(maxsize=4096)
def _day_name(day_number: int) -> str:
    return datetime.fromtimestamp(day_number * SECONDS_PER_DAY, UTC).strftime("%Y-%m-%d")


def day_of(timestamp: int) -> str:
    """The UTC date of `timestamp`, as YYYY-MM-DD."""
    return _day_name(timestamp // SECONDS_PER_DAY)


def _checked(value: int) -> int:
    if value > MAX_STORED_INTEGER:
        raise ValueOutOfRange(f"value {value} exceeds the indexer's 64-bit storage")
    return value


class Projector:
    def __init__(self, state: TrackedState, programs: Iterable[ProgramParams], exchange: str) -> None:
        self.state = state
        # The busiest tables, changed in place once their rows are remembered as they were before
        # the batch: by `state.touch`, or inline where a backfill calls it hundreds of thousands of times.
        self._groups = state.tables["epochgroup"]
        self._groups_before = state.before["epochgroup"]
        self._balances = state.tables["balance"]
        self._balances_before = state.before["balance"]
        self._programs = state.tables["program"]
        self._programs_before = state.before["program"]
        self._days = state.tables["dailystat"]
        self._days_before = state.before["dailystat"]
        self.exchange = exchange
        self.params = {program.address: program for program in programs}
        self.ledgers = {
            address: ExpiringLedger(p.epoch_start, p.epoch_length, p.validity, record_expirations=True)
            for address, p in self.params.items()
        }
        self._load_ledgers()
        # Each fact is a tuple in its table's column order (a test checks the orders): a dict per
        # row, then a tuple made of it for the database, cost a backfill twice the allocations.
        self.facts: dict[str, list[Fact]] = {"movement": [], "rawevent": [], "redemption": [], "exchange": []}

    # ---------------------------------------------------------------- set-up

    def _load_ledgers(self) -> None:
        for address, program in self.params.items():
            if self.state.get("program", (address,)) is None:
                self.state.put("program", (address,), {
                    "address": address, "key": program.key, "name": program.name, "symbol": program.symbol,
                    "epoch_start": program.epoch_start, "epoch_length": program.epoch_length,
                    "validity": program.validity, "cap_period": program.cap_period,
                    "deployed_block": program.deployed_block, "transferable": program.transferable,
                    "paused": False, "owner": ZERO_ADDRESS, "total_supply": 0, "holders": 0,
                })
        for (program, account, epoch), row in self.state.tables["epochgroup"].items():
            self.ledgers[program].restore_group(account, epoch, row["amount"])

    def take_facts(self) -> dict[str, list[Fact]]:
        facts, self.facts = self.facts, {name: [] for name in self.facts}
        return facts

    # ---------------------------------------------------------------- time

    def advance_to(self, block: int, timestamp: int) -> None:
        """Records the expiries that happened by `timestamp`, effective at the start of `block`."""
        seq = 0
        for address, ledger in self.ledgers.items():
            if timestamp < ledger.clock:
                continue
            for expiration in ledger.expire(timestamp):
                self._change_group(address, expiration.account, expiration.epoch, -expiration.amount)
                self._movement(address, expiration.account, MovementKind.EXPIRED, -expiration.amount, block, -1, seq,
                               None, expiration.expires_at, epoch=expiration.epoch)
                # Expiries come in time order, and their day may have seen no transaction: its supply
                # is the supply after its last expiry.
                self._daily(address, expiration.expires_at, DailyCounter.EXPIRED, expiration.amount)["supply"] = \
                    self.state.tables["program"][(address,)]["total_supply"]
                seq += 1
            self._record_supply(address, timestamp)

    # ---------------------------------------------------------------- events

    def apply_transaction(self, logs: list[DecodedLog], timestamp: int) -> None:
        """Applies one transaction's logs (in log order) at the block's `timestamp`."""
        context = _TransactionContext(logs)
        raw_events = self.facts["rawevent"]
        for log in logs:
            raw_events.append(log[:RAW_EVENT_FIELDS])
            if log.contract == self.exchange:
                self._apply_exchange_event(log, timestamp)
            elif log.contract in self.params:
                self._apply_token_event(log, context, timestamp)
        for address in {log.contract for log in logs if log.contract in self.params}:
            self._record_supply(address, timestamp)

    def _apply_token_event(self, log: DecodedLog, context: "_TransactionContext", timestamp: int) -> None:
        program = log.contract
        args = log.args
        name = log.name
        if name == "Transfer":
            self._apply_transfer(log, context, timestamp)
        elif name == "Issued":
            via_exchange = args["merchant"] == self.exchange
            self._merchant(program, args["merchant"], "issued", _checked(args["amount"]))
            if via_exchange:
                self._daily(program, timestamp, DailyCounter.EXCHANGED_IN, args["amount"])
            else:
                self._daily(program, timestamp, DailyCounter.ISSUED, args["amount"])
        elif name == "Redeemed":
            self._apply_redeemed(log, timestamp)
        elif name == "Revoked":
            self._daily(program, timestamp, DailyCounter.REVOKED, _checked(args["amount"]))
        elif name == "MerchantSet":
            merchant = self._merchant(program, args["merchant"])
            merchant["cap"] = args["cap"]
            # The latest name wins; the first contracts' MerchantSet carried none (V1_TOKEN_EVENTS).
            merchant["name"] = args.get("name", merchant["name"])
        elif name == "RewardListed":
            self.state.put("reward", (program, args["reward_id"]), {
                "program": program, "reward_id": args["reward_id"], "merchant": args["merchant"],
                "price": args["price"], "stock": args["stock"], "active": True,
                "redemptions": 0, "points_redeemed": 0, "name": args.get("name", ""),
            })
        elif name == "RewardUpdated":
            self.state.update("reward", (program, args["reward_id"]), price=args["price"], stock=args["stock"],
                              active=args["active"])
        elif name == "TransferableSet":
            self.state.update("program", (program,), transferable=args["transferable"])
        elif name in ("Paused", "Unpaused"):
            self.state.update("program", (program,), paused=name == "Paused")
        elif name == "OwnershipTransferred":
            self.state.update("program", (program,), owner=args["new_owner"])

    def _apply_transfer(self, log: DecodedLog, context: "_TransactionContext", timestamp: int) -> None:
        program = log.contract
        ledger = self.ledgers[program]
        sender, receiver, value = log.args["sender"], log.args["receiver"], _checked(log.args["value"])
        block, index = log.block, log.log_index
        if sender == ZERO_ADDRESS:
            epoch = ledger.mint(receiver, value, timestamp)
            self._change_group(program, receiver, epoch, value)
            issued = context.take("Issued", program, _MINTED_TO, (receiver, value))
            counterparty = merchant = issued.args["merchant"] if issued else None
            kind = MovementKind.EXCHANGED if merchant == self.exchange else MovementKind.ISSUED
            if kind == MovementKind.EXCHANGED:
                exchanged = context.take(_EXCHANGED_IN, self.exchange, _EXCHANGED_TO,
                                         (receiver, program, value))
                counterparty = exchanged.args["from_token"] if exchanged else merchant
            self._movement(program, receiver, kind, value, block, index, 0, log.tx_hash, timestamp,
                           counterparty=counterparty, epoch=epoch)
            return
        if receiver == ZERO_ADDRESS:
            parts = ledger.debit_oldest_first(sender, None, value, timestamp)
            for part in parts:
                self._change_group(program, sender, part.epoch, -part.amount)
            kind, counterparty, reward_id = self._classify_burn(program, sender, value, context)
            self._movement(program, sender, kind, -value, block, index, 0, log.tx_hash, timestamp,
                           counterparty=counterparty, reward_id=reward_id,
                           epoch=parts[0].epoch if len(parts) == 1 else None)
            if kind == MovementKind.BURNED:
                self._daily(program, timestamp, DailyCounter.BURNED, value)
            return
        at_epoch = context.take("TransferAtEpoch", program, _MOVED_AT_EPOCH, (sender, receiver, value))
        if at_epoch is not None:
            epoch = at_epoch.args["epoch"]
            ledger.move_at_epoch(sender, receiver, epoch, value, timestamp)
            moved = [(epoch, value)]
        else:
            moved = [(part.epoch, part.amount)
                     for part in ledger.debit_oldest_first(sender, receiver, value, timestamp)]
        for epoch, amount in moved:
            self._change_group(program, sender, epoch, -amount)
            self._change_group(program, receiver, epoch, amount)
        single_epoch = moved[0][0] if len(moved) == 1 else None
        self._movement(program, sender, MovementKind.TRANSFERRED, -value, block, index, 0, log.tx_hash, timestamp,
                       counterparty=receiver, epoch=single_epoch)
        self._movement(program, receiver, MovementKind.TRANSFERRED, value, block, index, 1, log.tx_hash, timestamp,
                       counterparty=sender, epoch=single_epoch)
        self._daily(program, timestamp, DailyCounter.TRANSFERRED, value)

    def _classify_burn(self, program: str, holder: str, value: int,
                       context: "_TransactionContext") -> tuple[MovementKind, str | None, int | None]:
        redeemed = context.take("Redeemed", program, _REDEEMED_BY, (holder, value))
        if redeemed is not None:
            return MovementKind.REDEEMED, redeemed.args["merchant"], redeemed.args["reward_id"]
        if context.take("Revoked", program, _REVOKED_FROM, (holder, value)) is not None:
            return MovementKind.REVOKED, None, None
        exchanged = context.take("Exchanged", self.exchange, _EXCHANGED_FROM, (holder, program, value))
        if exchanged is not None:
            return MovementKind.EXCHANGED, exchanged.args["to_token"], None
        return MovementKind.BURNED, None, None

    def _apply_redeemed(self, log: DecodedLog, timestamp: int) -> None:
        program, args = log.contract, log.args
        points = _checked(args["points"])
        self.facts["redemption"].append((
            log.block, log.log_index, program, args["holder"], args["reward_id"], args["merchant"],
            _checked(args["quantity"]), points, log.tx_hash, timestamp,
        ))
        reward = self.state.get("reward", (program, args["reward_id"]))
        if reward is not None:
            self.state.update("reward", (program, args["reward_id"]), stock=reward["stock"] - args["quantity"],
                              redemptions=reward["redemptions"] + args["quantity"],
                              points_redeemed=reward["points_redeemed"] + points)
        self._merchant(program, args["merchant"], "redeemed", points)
        self._daily(program, timestamp, DailyCounter.REDEEMED, points)

    def _apply_exchange_event(self, log: DecodedLog, timestamp: int) -> None:
        args = log.args
        if log.name == "RouteSet":
            route = self._route(args["from_token"], args["to_token"])
            route.update(rate_num=args["rate_num"], rate_den=args["rate_den"], cap=args["cap"])
        elif log.name == "RouteApproved":
            self._route(args["from_token"], args["to_token"])["approved"] = args["enabled"]
        elif log.name == "Exchanged":
            amount_in, amount_out = _checked(args["amount_in"]), _checked(args["amount_out"])
            self.facts["exchange"].append((
                log.block, log.log_index, args["account"], args["from_token"], args["to_token"], amount_in,
                amount_out, log.tx_hash, timestamp,
            ))
            route = self._route(args["from_token"], args["to_token"])
            route["volume_in"] += amount_in
            route["volume_out"] += amount_out
            route["exchanges"] += 1
            if args["from_token"] in self.params:
                self._daily(args["from_token"], timestamp, DailyCounter.EXCHANGED_OUT, amount_in)

    # ---------------------------------------------------------------- rows

    def _movement(self, program: str, account: str, kind: MovementKind, amount: int, block: int, log_index: int,
                  seq: int, tx_hash: str | None, timestamp: int, *, counterparty: str | None = None,
                  reward_id: int | None = None, epoch: int | None = None) -> None:
        self.facts["movement"].append((block, log_index, seq, program, account, kind, amount, counterparty, epoch,
                                       reward_id, tx_hash, timestamp))

    def _change_group(self, program: str, account: str, epoch: int, delta: int) -> None:
        """Mirrors one group's change into the epoch group, balance and program rows."""
        group_key: Key = (program, account, epoch)
        group = self._groups.get(group_key)
        if group_key not in self._groups_before:
            self._groups_before[group_key] = None if group is None else group.copy()
        if group is None:
            if delta:
                self._groups[group_key] = {"program": program, "account": account, "epoch": epoch, "amount": delta,
                                           "expires_at": self.ledgers[program].expires_at(epoch)}
        elif group["amount"] + delta:
            group["amount"] += delta
        else:
            del self._groups[group_key]
        balance_key: Key = (program, account)
        row = self._balances.get(balance_key)
        if balance_key not in self._balances_before:
            self._balances_before[balance_key] = None if row is None else row.copy()
        before = row["balance"] if row else 0
        after = before + delta
        if not after:
            self._balances.pop(balance_key, None)
        elif row is None:
            self._balances[balance_key] = {"program": program, "account": account, "balance": after}
        else:
            row["balance"] = after
        program_key: Key = (program,)
        if program_key not in self._programs_before:
            self.state.touch("program", program_key)
        program_row = self._programs[program_key]
        program_row["total_supply"] += delta
        program_row["holders"] += (after > 0) - (before > 0)

    def _merchant(self, program: str, merchant: str, column: str | None = None, amount: int = 0) -> Row:
        key = (program, merchant)
        row = self.state.touch("merchant", key)
        if row is None:
            row = self.state.tables["merchant"][key] = {"program": program, "merchant": merchant, "cap": 0,
                                                        "issued": 0, "redeemed": 0, "name": ""}
        if column is not None:
            row[column] += amount
        return row

    def _route(self, from_token: str, to_token: str) -> Row:
        default = {"from_program": from_token, "to_program": to_token, "rate_num": 0, "rate_den": 0, "cap": 0,
                   "approved": False, "volume_in": 0, "volume_out": 0, "exchanges": 0}
        return self.state.add("route", (from_token, to_token), default)

    def _daily(self, program: str, timestamp: int, counter: DailyCounter | None = None, amount: int = 0) -> Row:
        key = (program, day_of(timestamp))
        row = self._days.get(key)
        if key not in self._days_before:
            self._days_before[key] = None if row is None else row.copy()
        if row is None:
            row = self._days[key] = {"program": program, "day": key[1], **dict.fromkeys(_COUNTERS, 0), "supply": 0}
        if counter is not None:
            row[counter] += amount
        return row

    def _record_supply(self, program: str, timestamp: int) -> None:
        supply = self.state.tables["program"][(program,)]["total_supply"]
        self._daily(program, timestamp)["supply"] = supply


# Rows are keyed by plain strings: the undo journal's JSON takes no other keys.
_COUNTERS = tuple(counter.value for counter in DailyCounter)

_EXCHANGED_IN = "Exchanged (the minting side)"

# What ties an annotation to the transfer it explains: these fields of its arguments, which must
# equal the transfer's (one getter per kind, because every mint of a backfill looks for its Issued).
_MINTED_TO = itemgetter("to", "amount")
_EXCHANGED_TO = itemgetter("account", "to_token", "amount_out")
_MOVED_AT_EPOCH = itemgetter("sender", "receiver", "value")
_REDEEMED_BY = itemgetter("holder", "points")
_REVOKED_FROM = itemgetter("account", "amount")
_EXCHANGED_FROM = itemgetter("account", "from_token", "amount_in")


class _TransactionContext:
    """The annotation events of one transaction, each matched to at most one `Transfer`.

    Annotations come in the order of the transfers they explain, so the first unused one of a
    kind almost always matches.
    """

    _ANNOTATIONS = frozenset(("Issued", "Redeemed", "Revoked", "Exchanged", "TransferAtEpoch"))

    def __init__(self, logs: list[DecodedLog]) -> None:
        self._unused: dict[tuple[str, str], list[DecodedLog | None]] = {}
        for log in logs:
            if log.name in self._ANNOTATIONS:
                self._unused.setdefault((log.name, log.contract), []).append(log)
            if log.name == "Exchanged":
                # One exchange explains two transfers: the burn on one token and the mint on the other.
                self._unused.setdefault((_EXCHANGED_IN, log.contract), []).append(log)
        self._next: dict[tuple[str, str], int] = dict.fromkeys(self._unused, 0)

    def take(self, name: str, contract: str, fields: itemgetter, expected: tuple[Any, ...]) -> DecodedLog | None:
        """The first unused `name` event of `contract` whose `fields` equal `expected`, now used."""
        candidates = self._unused.get((name, contract))
        if not candidates:
            return None
        start = self._next[(name, contract)]
        for position in range(start, len(candidates)):
            log = candidates[position]
            if log is not None and fields(log.args) == expected:
                candidates[position] = None
                if position == start:
                    self._next[(name, contract)] = start + 1
                return log
        return None
