"""The indexer's own log decoder (`indexer/events.py`) against the compiled contracts.

Its event specs must be the contracts' ABI, and every event, emitted by real transactions and read
through the indexer's own JSON-RPC client, must decode to what ape decodes from the same logs.
"""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes
from hypothesis import given
from hypothesis import strategies as st

from chain.rpc import RpcClient
from indexer.events import (
    EVENTS_BY_TOPIC,
    EXCHANGE_EVENTS,
    TOKEN_EVENTS,
    V1_TOKEN_EVENTS,
    EventSpec,
    UnknownEvent,
    checksum,
    decode_log,
)

# Values near each field's limit, so that a decoder reading too few bytes or through a float fails.
BIG_ALLOWANCE = 2**255 + 12_345  # below 2**256 - 1, which `approve` treats as unlimited
MAX_MERCHANT_CAP = 2**96 - 1
MAX_PRICE = 2**128 - 1
MAX_STOCK = 2**127 - 1
MAX_RATE_PART = 2**32 - 1
MAX_ROUTE_CAP = 2**63 - 1
ORDER_REF = keccak(text="order-1234")  # a ref whose first bit is set
CORRECTION_REF = keccak(text="correction-7")
# Names at String[64]'s limit, in UTF-8 bytes: the decoder reads a length and bytes, not characters.
LONG_NAME = "Caf\u00e9 " + "x" * 58
REWARD_NAME = "Free espresso \u2615 " + "y" * 46


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
    assert len(EVENTS_BY_TOPIC) == len(TOKEN_EVENTS + EXCHANGE_EVENTS + V1_TOKEN_EVENTS)


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

    token_a.set_merchant(merchant, MAX_MERCHANT_CAP, "Downtown store", sender=owner)
    token_a.set_merchant(merchant, MAX_MERCHANT_CAP, LONG_NAME, sender=owner)
    token_a.mint(alice, 1_000, ORDER_REF, sender=merchant)
    token_a.mint_batch([alice, bob], [200, 300], ORDER_REF, sender=merchant)
    token_a.transfer(bob, 50, sender=alice)
    token_a.transferAtEpoch(token_a.currentEpoch(), bob, 25, sender=alice)
    token_a.approve(bob, BIG_ALLOWANCE, sender=alice)
    token_a.transferFrom(alice, bob, 10, sender=bob)
    token_a.burn(5, sender=bob)
    token_a.revoke(bob, 7, CORRECTION_REF, sender=owner)

    token_a.add_reward(MAX_PRICE, MAX_STOCK, merchant, REWARD_NAME, sender=owner)
    token_a.add_reward(30, 10, merchant, "", sender=owner)
    token_a.set_reward(1, MAX_PRICE - 1, 0, False, sender=merchant)
    token_a.redeem(2, 3, 90, sender=alice)

    token_a.set_transferable(False, sender=owner)
    token_a.set_transferable(True, sender=owner)
    token_a.set_pauser(pauser, True, sender=owner)
    token_a.pause(sender=pauser)
    token_a.unpause(sender=owner)  # a pauser may pause but not unpause
    token_a.set_pauser(pauser, False, sender=owner)

    token_b.set_merchant(exchange, MAX_MERCHANT_CAP, "Partner exchange", sender=partner_owner)
    exchange.set_route(token_a, token_b, MAX_RATE_PART, MAX_RATE_PART - 2, MAX_ROUTE_CAP, sender=partner_owner)
    exchange.approve_route(token_a, token_b, False, sender=owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)
    token_a.approve(exchange, 500, sender=alice)
    exchange.exchange(token_a, token_b, 100, 0, sender=alice)
    # New terms withdraw the sending side's approval, in the same transaction.
    exchange.set_route(token_a, token_b, MAX_RATE_PART, MAX_RATE_PART - 1, MAX_ROUTE_CAP, sender=partner_owner)

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


def test_names_decode_to_the_text_set_on_chain(raw_logs, merchant):
    decoded = [log.args for log in map(decode_log, raw_logs)]

    assert [args["name"] for args in decoded if "cap" in args and args.get("merchant") == merchant.address] == [
        "Downtown store", LONG_NAME]
    assert [args["name"] for args in decoded if "price" in args and "active" not in args] == [REWARD_NAME, ""]


def _log(signature: str, topics: list[str], data: bytes) -> dict[str, Any]:
    """A log as a node sends it, built by hand."""
    return {"address": "0x" + "11" * 20, "topics": ["0x" + keccak(text=signature).hex(), *topics],
            "data": "0x" + data.hex(), "blockNumber": "0x1", "logIndex": "0x0", "transactionHash": "0x" + "22" * 32}


MERCHANT_TOPIC = "0x" + "00" * 12 + "33" * 20


def test_a_route_set_with_new_terms_is_followed_by_its_withdrawn_approval(raw_logs, activity):
    last_route_set = [log for log in map(decode_log, raw_logs) if log.name == "RouteSet"][-1]
    same_transaction = [log for log in map(decode_log, raw_logs) if log.tx_hash == last_route_set.tx_hash]

    assert [(log.name, log.args.get("enabled")) for log in same_transaction] == [
        ("RouteSet", None), ("RouteApproved", False)]
    assert same_transaction[1].args["from_token"] == activity.token_a.address


def test_a_name_decodes_after_the_static_fields_whatever_its_bytes():
    listed = _log("RewardListed(uint256,address,uint256,uint256,string)", ["0x" + "00" * 31 + "07", MERCHANT_TOPIC],
                  encode(["uint256", "uint256", "string"], [2**128 - 1, 5, "Bag of house beans \U0001f98a"]))
    # Contracts take any bytes as a String: a name that is not UTF-8, or holds NUL, still decodes, and
    # NUL (which PostgreSQL's text refuses) reads as U+FFFD.
    odd = _log("MerchantSet(address,uint256,string)", [MERCHANT_TOPIC],
               encode(["uint256", "bytes"], [3, b"Till\x00\xff 2"]))

    assert decode_log(listed).args == {"reward_id": 7, "merchant": to_checksum_address("0x" + "33" * 20),
                                       "price": 2**128 - 1, "stock": 5, "name": "Bag of house beans \U0001f98a"}
    assert decode_log(odd).args["name"] == "Till\ufffd\ufffd 2"
    assert json.loads(decode_log(odd).args_json)["name"] == "Till\ufffd\ufffd 2"


def test_the_first_contracts_unnamed_events_still_decode():
    merchant_set = _log("MerchantSet(address,uint256)", [MERCHANT_TOPIC], encode(["uint256"], [500]))
    listed = _log("RewardListed(uint256,address,uint256,uint256)", ["0x" + "00" * 31 + "01", MERCHANT_TOPIC],
                  encode(["uint256", "uint256"], [120, 50]))

    assert (decode_log(merchant_set).name, decode_log(merchant_set).args) == (
        "MerchantSet", {"merchant": to_checksum_address("0x" + "33" * 20), "cap": 500})
    assert (decode_log(listed).name, "name" in decode_log(listed).args) == ("RewardListed", False)


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
