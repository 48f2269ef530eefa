"""The projector's facts and state rows, without a chain.

The projector hands the store each fact as a tuple in its table's column order, so a row built in
another order would put values in the wrong columns (or fail only for some column types). These
tests read each row back by the table's column names.
"""

from typing import Any

from indexer.events import ZERO_ADDRESS, DecodedLog
from indexer.projector import ProgramParams, Projector
from indexer.state import TrackedState
from indexer.store import FACTS_BY_NAME, STATE_BY_NAME

TOKEN = "0x" + "11" * 20
PARTNER = "0x" + "22" * 20
EXCHANGE = "0x" + "ee" * 20
MERCHANT = "0x" + "33" * 20
ALICE = "0x" + "a1" * 20
EPOCH_START = 1_700_000_000
DAY = 86_400


def program(address: str, key: str) -> ProgramParams:
    return ProgramParams(address=address, key=key, name=key.title(), symbol=key.upper(), epoch_start=EPOCH_START,
                         epoch_length=DAY, validity=4, cap_period=DAY, deployed_block=1, transferable=True)


def event(event_name: str, contract: str, block: int, log_index: int, tx_hash: str, /, **args: Any) -> DecodedLog:
    """A decoded log; positional first, because an event's arguments may include a `name`."""
    return DecodedLog(block=block, log_index=log_index, contract=contract, name=event_name, tx_hash=tx_hash,
                      args_json=f'{{"event":"{event_name}"}}', args=args)


def facts_by_column(projector: Projector) -> dict[str, list[dict[str, Any]]]:
    """The projector's facts, each row keyed by its table's column names."""
    return {name: [dict(zip([column.name for column in FACTS_BY_NAME[name].c], row, strict=True)) for row in rows]
            for name, rows in projector.take_facts().items()}


def state_row(projector: Projector, table: str, key: tuple[Any, ...]) -> dict[str, Any]:
    """A state row the test expects to exist."""
    row = projector.state.get(table, key)
    assert row is not None, f"no {table} row {key}"
    return row


def projector() -> Projector:
    return Projector(TrackedState({name: {} for name in STATE_BY_NAME}), [program(TOKEN, "token"),
                                                                          program(PARTNER, "partner")], EXCHANGE)


def test_each_fact_row_is_in_its_tables_column_order():
    indexed = projector()
    minted_at, spent_at = EPOCH_START + 100, EPOCH_START + 200
    indexed.apply_transaction([
        event("Transfer", TOKEN, 5, 0, "0xaa", sender=ZERO_ADDRESS, receiver=ALICE, value=500),
        event("Issued", TOKEN, 5, 1, "0xaa", merchant=MERCHANT, to=ALICE, amount=500, epoch=0, ref="0x" + "00" * 32),
    ], minted_at)
    indexed.apply_transaction([
        event("Transfer", TOKEN, 6, 0, "0xbb", sender=ALICE, receiver=ZERO_ADDRESS, value=30),
        event("Redeemed", TOKEN, 6, 1, "0xbb", holder=ALICE, reward_id=7, merchant=MERCHANT, quantity=3, points=30),
    ], spent_at)
    indexed.apply_transaction([
        event("Transfer", TOKEN, 7, 0, "0xcc", sender=ALICE, receiver=ZERO_ADDRESS, value=100),
        event("Transfer", PARTNER, 7, 1, "0xcc", sender=ZERO_ADDRESS, receiver=ALICE, value=50),
        event("Issued", PARTNER, 7, 2, "0xcc", merchant=EXCHANGE, to=ALICE, amount=50, epoch=0, ref="0x" + "00" * 32),
        event("Exchanged", EXCHANGE, 7, 3, "0xcc", account=ALICE, from_token=TOKEN, to_token=PARTNER, amount_in=100,
              amount_out=50),
    ], spent_at)

    facts = facts_by_column(indexed)

    assert [(row["block"], row["log_index"], row["contract"], row["name"], row["tx_hash"], row["args"])
            for row in facts["rawevent"]][:2] == [
        (5, 0, TOKEN, "Transfer", "0xaa", '{"event":"Transfer"}'),
        (5, 1, TOKEN, "Issued", "0xaa", '{"event":"Issued"}'),
    ]
    assert len(facts["rawevent"]) == 8
    assert facts["movement"] == [
        {"block": 5, "log_index": 0, "seq": 0, "program": TOKEN, "account": ALICE, "kind": "issued", "amount": 500,
         "counterparty": MERCHANT, "epoch": 0, "reward_id": None, "tx_hash": "0xaa", "timestamp": minted_at},
        {"block": 6, "log_index": 0, "seq": 0, "program": TOKEN, "account": ALICE, "kind": "redeemed", "amount": -30,
         "counterparty": MERCHANT, "epoch": 0, "reward_id": 7, "tx_hash": "0xbb", "timestamp": spent_at},
        {"block": 7, "log_index": 0, "seq": 0, "program": TOKEN, "account": ALICE, "kind": "exchanged",
         "amount": -100, "counterparty": PARTNER, "epoch": 0, "reward_id": None, "tx_hash": "0xcc",
         "timestamp": spent_at},
        {"block": 7, "log_index": 1, "seq": 0, "program": PARTNER, "account": ALICE, "kind": "exchanged",
         "amount": 50, "counterparty": TOKEN, "epoch": 0, "reward_id": None, "tx_hash": "0xcc",
         "timestamp": spent_at},
    ]
    assert facts["redemption"] == [
        {"block": 6, "log_index": 1, "program": TOKEN, "holder": ALICE, "reward_id": 7, "merchant": MERCHANT,
         "quantity": 3, "points": 30, "tx_hash": "0xbb", "timestamp": spent_at},
    ]
    assert facts["exchange"] == [
        {"block": 7, "log_index": 3, "account": ALICE, "from_program": TOKEN, "to_program": PARTNER,
         "amount_in": 100, "amount_out": 50, "tx_hash": "0xcc", "timestamp": spent_at},
    ]


def test_a_merchant_takes_the_name_of_its_latest_merchant_set():
    indexed = projector()
    indexed.apply_transaction([event("MerchantSet", TOKEN, 5, 0, "0xaa", merchant=MERCHANT, cap=500,
                                     name="Downtown store")], EPOCH_START)
    named = dict(state_row(indexed, "merchant", (TOKEN, MERCHANT)))
    indexed.apply_transaction([event("MerchantSet", TOKEN, 6, 0, "0xbb", merchant=MERCHANT, cap=900,
                                     name="Main Street store")], EPOCH_START)
    renamed = dict(state_row(indexed, "merchant", (TOKEN, MERCHANT)))
    # The first contracts' MerchantSet named nobody: it changes the cap and keeps the name.
    indexed.apply_transaction([event("MerchantSet", TOKEN, 7, 0, "0xcc", merchant=MERCHANT, cap=0)], EPOCH_START)

    assert (named["name"], named["cap"]) == ("Downtown store", 500)
    assert (renamed["name"], renamed["cap"]) == ("Main Street store", 900)
    assert indexed.state.get("merchant", (TOKEN, MERCHANT)) == {
        "program": TOKEN, "merchant": MERCHANT, "cap": 0, "issued": 0, "redeemed": 0, "name": "Main Street store"}


def test_a_merchant_seen_first_by_its_mints_has_no_name_yet():
    indexed = projector()
    indexed.apply_transaction([
        event("Transfer", TOKEN, 5, 0, "0xaa", sender=ZERO_ADDRESS, receiver=ALICE, value=40),
        event("Issued", TOKEN, 5, 1, "0xaa", merchant=MERCHANT, to=ALICE, amount=40, epoch=0, ref="0x" + "00" * 32),
    ], EPOCH_START)

    assert state_row(indexed, "merchant", (TOKEN, MERCHANT))["name"] == ""


def test_a_reward_keeps_the_name_it_was_listed_with():
    indexed = projector()
    indexed.apply_transaction([
        event("RewardListed", TOKEN, 5, 0, "0xaa", reward_id=1, merchant=MERCHANT, price=120, stock=10,
              name="Free espresso"),
        event("RewardListed", TOKEN, 5, 1, "0xaa", reward_id=2, merchant=MERCHANT, price=300, stock=5),
    ], EPOCH_START)
    indexed.apply_transaction([event("RewardUpdated", TOKEN, 6, 0, "0xbb", reward_id=1, price=150, stock=8,
                                     active=False)], EPOCH_START)

    reward = state_row(indexed, "reward", (TOKEN, 1))
    assert (reward["name"], reward["price"], reward["active"]) == ("Free espresso", 150, False)
    assert state_row(indexed, "reward", (TOKEN, 2))["name"] == ""


def test_a_route_whose_terms_change_loses_its_approval_in_the_same_transaction():
    indexed = projector()
    indexed.apply_transaction([
        event("RouteSet", EXCHANGE, 5, 0, "0xaa", from_token=TOKEN, to_token=PARTNER, rate_num=1, rate_den=10, cap=100),
        event("RouteApproved", EXCHANGE, 5, 1, "0xaa", from_token=TOKEN, to_token=PARTNER, enabled=True),
    ], EPOCH_START)
    indexed.apply_transaction([
        event("RouteSet", EXCHANGE, 6, 0, "0xbb", from_token=TOKEN, to_token=PARTNER, rate_num=1, rate_den=5, cap=100),
        event("RouteApproved", EXCHANGE, 6, 1, "0xbb", from_token=TOKEN, to_token=PARTNER, enabled=False),
    ], EPOCH_START)

    route = state_row(indexed, "route", (TOKEN, PARTNER))
    assert (route["rate_num"], route["rate_den"], route["cap"], route["approved"]) == (1, 5, 100, False)
