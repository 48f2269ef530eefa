"""The deployed PointsToken against the plain-Python ledger model (points/ledger.py).

A hypothesis state machine runs random mints, batch mints, transfers, transferFroms,
transferAtEpochs, transferFromAtEpochs, burns, burn_froms, revokes and time jumps across several
epochs and past expiry. Every operation the model rejects must revert on chain with the model's
reason and change nothing; after every step `currentEpoch`, `totalSupply`, `balanceOf`,
`balanceOfAtEpoch`, `getNearestExpiryOf` and `isEpochExpired` equal the model, and the holders'
balances sum to `totalSupply`.

Time is deterministic: each transaction's block timestamp is set beforehand
(`evm_setNextBlockTimestamp`) and the model applies the operation at that timestamp; views are
read at the latest block, whose timestamp the model's views use. A reverted transaction is still
mined (ape sends it with a fixed gas limit on the local network), which the helper checks.
Each example starts from a chain snapshot taken after deployment and restores it at the end.
"""

from functools import cache
from typing import Any

import ape
import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from points.ledger import ExpiringLedger, LedgerError

EPOCH_LENGTH = 1_000
VALIDITY = 3
CAP_PERIOD = 10**9
MERCHANT_CAP = 2**96 - 1
MAX_ALLOWANCE = 2**256 - 1
REF = b"\x00" * 31 + b"\x01"

# The state machine's budget: under a minute on a 2-core machine (about 3 s an example).
STATEFUL_SETTINGS = settings(
    max_examples=15,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# The views compared after every step: name => (argument types, return types). They are read
# with raw JSON-RPC batches: through ape (or web3's contract layer), one call at a time, the
# encoding alone takes most of the run.
VIEWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "currentEpoch": ((), ("uint256",)),
    "totalSupply": ((), ("uint256",)),
    "isEpochExpired": (("uint256",), ("bool",)),
    "balanceOf": (("address",), ("uint256",)),
    "getNearestExpiryOf": (("address",), ("uint256", "uint256")),
    "balanceOfAtEpoch": (("uint256", "address"), ("uint256",)),
}


@cache
def calldata(name: str, args: tuple) -> str:
    argument_types, _ = VIEWS[name]
    selector = function_signature_to_4byte_selector(f"{name}({','.join(argument_types)})")
    return "0x" + (selector + encode(argument_types, args)).hex()


def read_views(web3, address: str, calls: list[tuple], block_number: int) -> dict[tuple, Any]:
    """Calls each `(view name, *arguments)` of `calls` at `block_number`, in one batch; a view
    with one return value maps to it, one with several to their tuple."""
    requests = [
        ("eth_call", [{"to": address, "data": calldata(name, tuple(args))}, hex(block_number)])
        for name, *args in calls
    ]
    responses = web3.provider.make_batch_request(requests)
    assert isinstance(responses, list), f"the batch failed: {responses}"
    results: dict[tuple, Any] = {}
    for call, response in zip(calls, responses, strict=True):
        assert "error" not in response, f"{call} failed: {response['error']}"
        _, return_types = VIEWS[call[0]]
        values = decode(return_types, bytes.fromhex(response["result"][2:]))
        results[call] = values[0] if len(values) == 1 else tuple(values)
    return results


@pytest.fixture(scope="module")
def program(deploy_token, owner, merchant, accounts):
    """A token with short epochs and validity, a merchant with a cap that never binds, and a
    spender that every holder has approved without limit (so allowances never decide a step)."""
    token = deploy_token(epoch_length=EPOCH_LENGTH, validity=VALIDITY, cap_period=CAP_PERIOD)
    token.set_merchant(merchant, MERCHANT_CAP, "Till", sender=owner)
    holders = [accounts[i] for i in range(2, 6)]
    spender = accounts[6]
    for holder in holders:
        token.approve(spender, MAX_ALLOWANCE, sender=holder)
    return token, holders, spender


def test_points_token_matches_the_ledger_model(program, owner, merchant, chain):
    token, holders, spender = program
    epoch_start = token.epoch_start()
    holder_index = st.integers(min_value=0, max_value=len(holders) - 1)
    web3 = chain.provider.web3

    class PointsTokenMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.model = ExpiringLedger(epoch_start, EPOCH_LENGTH, VALIDITY, record_expirations=True)
            head = chain.blocks.head
            self.now, self.block_number = head.timestamp, head.number
            # The block of the previous check, where groups that have expired since were live.
            self.checked_block, self.checked_at = self.block_number, self.now

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        # ------------------------------------------------------------ helpers

        def next_timestamp(self) -> int:
            """Pins the next block's timestamp, one second after the latest block."""
            timestamp = self.now + 1
            chain.pending_timestamp = timestamp
            return timestamp

        def settle(self, timestamp: int) -> None:
            """The transaction's block is now the latest one; the model's time follows it."""
            head = chain.blocks.head
            assert head.timestamp == timestamp, f"the block was mined at {head.timestamp}, not at {timestamp}"
            self.now, self.block_number = timestamp, head.number

        def apply(self, model_operation, chain_operation) -> None:
            """Runs the operation on the model and the chain at the same timestamp: both succeed,
            or the chain reverts with the model's reason and both keep their state."""
            timestamp = self.next_timestamp()
            try:
                model_operation(timestamp)
            except LedgerError as error:
                event(f"reverted: {error.revert_reason}")
                with ape.reverts(error.revert_reason):
                    chain_operation()
            else:
                chain_operation()
            self.settle(timestamp)

        def current_epoch(self) -> int:
            return self.model.current_epoch(self.now + 1)

        def epochs_around(self, current: int) -> st.SearchStrategy[int]:
            """An expired epoch, every live one and a future one."""
            return st.integers(min_value=max(0, current - VALIDITY - 1), max_value=current + 1)

        # ------------------------------------------------------------ issuing

        @rule(to=holder_index, amount=st.integers(min_value=0, max_value=100))
        def mint(self, to: int, amount: int) -> None:
            self.apply(
                lambda t: self.model.mint(str(holders[to]), amount, t),
                lambda: token.mint(holders[to], amount, REF, sender=merchant),
            )

        @rule(
            entries=st.lists(
                st.tuples(holder_index, st.integers(min_value=0, max_value=100)), min_size=1, max_size=5
            )
        )
        def mint_batch(self, entries: list[tuple[int, int]]) -> None:
            recipients = [holders[index] for index, _ in entries]
            amounts = [amount for _, amount in entries]
            self.apply(
                lambda t: self.model.mint_batch([str(account) for account in recipients], amounts, t),
                lambda: token.mint_batch(recipients, amounts, REF, sender=merchant),
            )

        # ------------------------------------------------------------ spending oldest first

        def draw_amount(self, data: st.DataObject, available: int) -> int:
            """Mostly a spendable amount (often all of it); sometimes more than `available`, which
            must revert. Reverts are kept rare: ape traces each one, at about half a second."""
            mode = data.draw(st.sampled_from(["all"] * 3 + ["some"] * 8 + ["more"]))
            if mode == "all":
                return available
            if mode == "some":
                return data.draw(st.integers(min_value=0, max_value=available))
            return data.draw(st.integers(min_value=available + 1, max_value=available + 1_000))

        def live_balance(self, account) -> int:
            return self.model.balance_of(str(account), self.now + 1)

        @rule(sender=holder_index, to=holder_index, data=st.data())
        def transfer(self, sender: int, to: int, data: st.DataObject) -> None:
            amount = self.draw_amount(data, self.live_balance(holders[sender]))
            self.apply(
                lambda t: self.model.debit_oldest_first(str(holders[sender]), str(holders[to]), amount, t),
                lambda: token.transfer(holders[to], amount, sender=holders[sender]),
            )

        @rule(source=holder_index, to=holder_index, data=st.data())
        def transfer_from(self, source: int, to: int, data: st.DataObject) -> None:
            amount = self.draw_amount(data, self.live_balance(holders[source]))
            self.apply(
                lambda t: self.model.debit_oldest_first(str(holders[source]), str(holders[to]), amount, t),
                lambda: token.transferFrom(holders[source], holders[to], amount, sender=spender),
            )

        @rule(holder=holder_index, data=st.data())
        def burn(self, holder: int, data: st.DataObject) -> None:
            amount = self.draw_amount(data, self.live_balance(holders[holder]))
            self.apply(
                lambda t: self.model.debit_oldest_first(str(holders[holder]), None, amount, t),
                lambda: token.burn(amount, sender=holders[holder]),
            )

        @rule(holder=holder_index, data=st.data())
        def burn_from(self, holder: int, data: st.DataObject) -> None:
            amount = self.draw_amount(data, self.live_balance(holders[holder]))
            self.apply(
                lambda t: self.model.debit_oldest_first(str(holders[holder]), None, amount, t),
                lambda: token.burn_from(holders[holder], amount, sender=spender),
            )

        @rule(holder=holder_index, data=st.data())
        def revoke(self, holder: int, data: st.DataObject) -> None:
            amount = self.draw_amount(data, self.live_balance(holders[holder]))
            self.apply(
                lambda t: self.model.debit_oldest_first(str(holders[holder]), None, amount, t),
                lambda: token.revoke(holders[holder], amount, REF, sender=owner),
            )

        # ------------------------------------------------------------ moving one epoch

        def draw_epoch_and_amount(self, data: st.DataObject, account) -> tuple[int, int]:
            """Mostly one of the account's live groups; sometimes any epoch around the current
            one (an expired one, an empty live one, a future one)."""
            held = [group.epoch for group in self.model.groups_of(str(account), self.now + 1)]
            if held and data.draw(st.sampled_from([True] * 5 + [False])):
                epoch = data.draw(st.sampled_from(held))
            else:
                epoch = data.draw(self.epochs_around(self.current_epoch()))
            return epoch, self.draw_amount(data, self.model.balance_of_at_epoch(epoch, str(account), self.now + 1))

        @rule(sender=holder_index, to=holder_index, data=st.data())
        def transfer_at_epoch(self, sender: int, to: int, data: st.DataObject) -> None:
            epoch, amount = self.draw_epoch_and_amount(data, holders[sender])
            self.apply(
                lambda t: self.model.move_at_epoch(str(holders[sender]), str(holders[to]), epoch, amount, t),
                lambda: token.transferAtEpoch(epoch, holders[to], amount, sender=holders[sender]),
            )

        @rule(source=holder_index, to=holder_index, data=st.data())
        def transfer_from_at_epoch(self, source: int, to: int, data: st.DataObject) -> None:
            epoch, amount = self.draw_epoch_and_amount(data, holders[source])
            self.apply(
                lambda t: self.model.move_at_epoch(str(holders[source]), str(holders[to]), epoch, amount, t),
                lambda: token.transferFromAtEpoch(epoch, holders[source], holders[to], amount, sender=spender),
            )

        # ------------------------------------------------------------ time

        @rule(
            when=st.one_of(
                st.sampled_from(["last second of the epoch", "first second of the next epoch"]),
                st.integers(min_value=1, max_value=(VALIDITY + 1) * EPOCH_LENGTH),
            )
        )
        def jump(self, when: str | int) -> None:
            """Mines an empty block later on: by some seconds, or next to an epoch boundary, so
            that the next transaction lands on the boundary (the expiry second of a group)."""
            next_boundary = self.model.epoch_starts_at(self.model.current_epoch(self.now) + 1)
            if when == "last second of the epoch":
                timestamp = next_boundary - 1 if next_boundary - 1 > self.now else next_boundary + EPOCH_LENGTH - 1
            elif when == "first second of the next epoch":
                timestamp = next_boundary
            else:
                assert isinstance(when, int)
                timestamp = self.now + when
            chain.mine(timestamp=timestamp)
            self.settle(timestamp)

        # ------------------------------------------------------------ the views match

        @invariant()
        def views_match_the_model(self) -> None:
            """Every view at the latest block, read in one JSON-RPC batch, against the model at
            that block's timestamp; compared as one dict, so that a failure shows the diff."""
            now, current = self.now, self.model.current_epoch(self.now)
            epochs = range(max(0, current - VALIDITY - 1), current + 2)
            expected: dict[tuple, object] = {
                ("currentEpoch",): current,
                ("totalSupply",): self.model.total_supply(now),
            }
            for epoch in epochs:
                expected["isEpochExpired", epoch] = self.model.is_epoch_expired(epoch, now)
            for holder in holders:
                account = str(holder)
                expected["balanceOf", account] = self.model.balance_of(account, now)
                expected["getNearestExpiryOf", account] = self.model.nearest_expiry_of(account, now)
                for epoch in epochs:
                    expected["balanceOfAtEpoch", epoch, account] = self.model.balance_of_at_epoch(epoch, account, now)
            actual = read_views(web3, token.address, list(expected), self.block_number)
            assert actual == expected
            assert sum(actual["balanceOf", str(holder)] for holder in holders) == actual["totalSupply",]

        @invariant()
        def expirations_match_the_chain(self) -> None:
            """Each group the model reports expired since the previous check expired in between,
            and the chain held exactly that much of it at the previous check's block."""
            expired = self.model.expire(self.now)
            if expired:
                event("groups expired")
                assert all(self.checked_at < item.expires_at <= self.now for item in expired), expired
                calls = [("balanceOfAtEpoch", item.epoch, item.account) for item in expired]
                held = read_views(web3, token.address, calls, self.checked_block)
                assert held == {call: item.amount for call, item in zip(calls, expired, strict=True)}
            self.checked_block, self.checked_at = self.block_number, self.now

    run_state_machine_as_test(PointsTokenMachine, settings=STATEFUL_SETTINGS)
