"""Issue 6: the indexer's own log decoder (`indexer/events.py`) against the compiled contracts.

Its event specs must be the contracts' ABI, and every event, emitted by real transactions and read
through the indexer's own JSON-RPC client, must decode to what ape decodes from the same logs.
"""

import json
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from hypothesis import given
from hypothesis import strategies as st
import pytest

from indexer.events import (
    EXCHANGE_EVENTS,
    EVENTS_BY_TOPIC,
    TOKEN_EVENTS,
    EventSpec,
    UnknownEvent,
    checksum,
    decode_log,
)
from indexer.rpc import RpcClient

# Values near each field's limit, so that a decoder reading too few bytes or through a float fails.
BIG_ALLOWANCE = 2**255 + 12_345  # below 2**256 - 1, which `approve` treats as unlimited
MAX_MERCHANT_CAP = 2**96 - 1
MAX_PRICE = 2**128 - 1
MAX_STOCK = 2**127 - 1
MAX_RATE_PART = 2**32 - 1
MAX_ROUTE_CAP = 2**63 - 1
ORDER_REF = keccak(text="order-1234")  # a ref whose first bit is set
CORRECTION_REF = keccak(text="correction-7")


@given(st.binary(min_size=20, max_size=20), st.booleans())
def test_checksum_is_eip55(address, upper_case_input):
    digits = address.hex().upper() if upper_case_input else address.hex()
    assert checksum.__wrapped__(digits) == to_checksum_address(address)


def layout(specs: tuple[EventSpec, ...]) -> dict[str, tuple[tuple[str, str, bool], ...]]:
    return {spec.name: tuple((field.name, field.type, field.indexed) for field in spec.fields) for spec in specs}


def abi_layout(contract_type: Any) -> dict[str, tuple[tuple[str, str, bool], ...]]:
    return {event.name: tuple((arg.name, arg.type, arg.indexed) for arg in event.inputs)
            for event in contract_type.events}


@pytest.mark.parametrize(("contract", "specs"), [("PointsToken", TOKEN_EVENTS), ("PartnerExchange", EXCHANGE_EVENTS)])
def test_specs_are_the_compiled_abi(project, contract, specs):
    contract_type = getattr(project, contract).contract_type

    assert layout(specs) == abi_layout(contract_type)
    selectors = {event.name: event.selector for event in contract_type.events}
    for spec in specs:
        assert spec.signature == selectors[spec.name]
        assert spec.topic0 == "0x" + keccak(text=selectors[spec.name]).hex()


def test_no_two_specs_share_a_topic():
    assert len(EVENTS_BY_TOPIC) == len(TOKEN_EVENTS + EXCHANGE_EVENTS)


@dataclass(frozen=True)
class Activity:
    token_a: Any
    token_b: Any
    exchange: Any
    first_block: int
    last_block: int


@pytest.fixture(scope="module")
def activity(project, chain, accounts, deploy_token, owner, merchant, alice, bob, pauser, new_owner) -> Activity:
    """Two programs and the exchange between them, with transactions that emit every event."""
    partner_owner = accounts[8]
    first_block = chain.blocks.height + 1

    token_a = deploy_token()
    token_b = deploy_token(name="Sky Miles", symbol="MILE", transferable=False, owner=partner_owner)
    exchange = owner.deploy(project.PartnerExchange)

    token_a.set_merchant(merchant, MAX_MERCHANT_CAP, sender=owner)
    token_a.mint(alice, 1_000, ORDER_REF, sender=merchant)
    token_a.mint_batch([alice, bob], [200, 300], ORDER_REF, sender=merchant)
    token_a.transfer(bob, 50, sender=alice)
    token_a.transferAtEpoch(token_a.currentEpoch(), bob, 25, sender=alice)
    token_a.approve(bob, BIG_ALLOWANCE, sender=alice)
    token_a.transferFrom(alice, bob, 10, sender=bob)
    token_a.burn(5, sender=bob)
    token_a.revoke(bob, 7, CORRECTION_REF, sender=owner)

    token_a.add_reward(MAX_PRICE, MAX_STOCK, merchant, sender=owner)
    token_a.add_reward(30, 10, merchant, sender=owner)
    token_a.set_reward(1, MAX_PRICE - 1, 0, False, sender=merchant)
    token_a.redeem(2, 3, 90, sender=alice)

    token_a.set_transferable(False, sender=owner)
    token_a.set_transferable(True, sender=owner)
    token_a.set_pauser(pauser, True, sender=owner)
    token_a.pause(sender=pauser)
    token_a.unpause(sender=pauser)
    token_a.set_pauser(pauser, False, sender=owner)

    token_b.set_merchant(exchange, MAX_MERCHANT_CAP, sender=partner_owner)
    exchange.set_route(token_a, token_b, MAX_RATE_PART, MAX_RATE_PART - 2, MAX_ROUTE_CAP, sender=partner_owner)
    exchange.approve_route(token_a, token_b, False, sender=owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)
    token_a.approve(exchange, 500, sender=alice)
    exchange.exchange(token_a, token_b, 100, 0, sender=alice)

    token_a.transfer_ownership(new_owner, sender=owner)
    token_a.accept_ownership(sender=new_owner)

    return Activity(token_a, token_b, exchange, first_block, chain.blocks.height)


@pytest.fixture(scope="module")
def raw_logs(chain, activity) -> list[dict[str, Any]]:
    """The activity's logs exactly as the indexer reads them: its own client, the node's JSON."""
    client = RpcClient(chain.provider.http_uri)
    try:
        addresses = [activity.token_a.address, activity.token_b.address, activity.exchange.address]
        return [log for chunk in client.logs(addresses, activity.first_block, activity.last_block) for log in chunk]
    finally:
        client.close()


def ape_value(value: Any) -> Any:
    """ape's decoded value in the decoder's representation (bytes32 as 0x-prefixed lowercase hex)."""
    return "0x" + bytes(value).hex() if isinstance(value, bytes) else value


def test_the_activity_emits_every_event_of_both_contracts(project, activity, raw_logs):
    emitted = {(log["address"].lower(), decode_log(log).name) for log in raw_logs}
    token_addresses = {activity.token_a.address.lower(), activity.token_b.address.lower()}

    token_events = {name for address, name in emitted if address in token_addresses}
    exchange_events = {name for address, name in emitted if address == activity.exchange.address.lower()}

    assert token_events == {event.name for event in project.PointsToken.contract_type.events}
    assert exchange_events == {event.name for event in project.PartnerExchange.contract_type.events}


def test_every_log_decodes_as_ape_decodes_it(chain, raw_logs):
    transactions = dict.fromkeys(log["transactionHash"] for log in raw_logs)
    ape_logs = {
        (HexBytes(ape_log.transaction_hash).to_0x_hex(), ape_log.log_index): ape_log
        for transaction in transactions
        for ape_log in chain.get_receipt(transaction).decode_logs()
    }
    assert len(ape_logs) == len(raw_logs)

    for log in raw_logs:
        decoded = decode_log(log)
        expected = ape_logs[(decoded.tx_hash, decoded.log_index)]

        assert decoded.name == expected.event_name
        assert decoded.contract == expected.contract_address
        assert decoded.block == expected.block_number
        assert decoded.args == {name: ape_value(value) for name, value in expected.event_arguments.items()}
        assert json.loads(decoded.args_json) == decoded.args


def test_a_uint256_above_2_to_the_255_decodes_exactly(raw_logs, alice, bob):
    approvals = [decoded.args for decoded in map(decode_log, raw_logs) if decoded.name == "Approval"]

    assert {"owner": alice.address, "spender": bob.address, "value": BIG_ALLOWANCE} in approvals


def test_a_log_of_another_event_is_refused():
    log = {
        "address": "0x" + "11" * 20,
        "topics": ["0x" + keccak(text="Deposit(address,uint256)").hex(), "0x" + "00" * 32],
        "data": "0x" + "00" * 32,
        "blockNumber": "0x1",
        "logIndex": "0x0",
        "transactionHash": "0x" + "22" * 32,
    }

    with pytest.raises(UnknownEvent):
        decode_log(log)


def test_a_log_without_topics_is_refused():
    anonymous = {"address": "0x" + "11" * 20, "topics": [], "data": "0x", "blockNumber": "0x1", "logIndex": "0x0",
                 "transactionHash": "0x" + "22" * 32}

    with pytest.raises(UnknownEvent):
        decode_log(anonymous)
