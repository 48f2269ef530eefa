"""The outbox rows a batch's facts make: one per reported movement, and low stock per reward."""

import json

from database.kinds import MovementKind
from indexer.outbox import OutboxWriter
from indexer.store import FACTS_BY_NAME

PROGRAM, ACCOUNT, MERCHANT = "0xP", "0xA", "0xM"


def _movement(block: int, log_index: int, seq: int, kind: MovementKind) -> tuple:
    return (block, log_index, seq, PROGRAM, ACCOUNT, kind, 5, None, 1, None, "0xtx", 1_700_000_000)


def _redemption(block: int, log_index: int, reward_id: int) -> tuple:
    return (block, log_index, PROGRAM, ACCOUNT, reward_id, MERCHANT, 1, 10, f"0xtx{block}", 1_700_000_000 + block)


def test_each_reported_kind_makes_a_row_keyed_like_its_movement():
    movements = [_movement(10, index, 0, kind) for index, kind in enumerate(MovementKind)]

    rows = OutboxWriter(low_stock=5).rows({"movement": movements}, {})

    assert [row[:5] for row in rows] == [
        (10, 0, 0, "points.issued", PROGRAM), (10, 1, 0, "points.redeemed", PROGRAM),
        (10, 3, 0, "points.exchanged", PROGRAM), (10, 4, 0, "points.revoked", PROGRAM),
        (10, 6, 0, "points.expired", PROGRAM)]
    assert all(row[5] is None for row in rows)
    assert [column.name for column in FACTS_BY_NAME["outbox"].c] == [
        "block", "log_index", "seq", "type", "program", "detail"]


def test_low_stock_once_per_reward_at_its_last_redemption_of_the_batch():
    redemptions = [_redemption(10, 3, 1), _redemption(11, 7, 1), _redemption(11, 9, 2), _redemption(12, 2, 3)]
    rewards = {(PROGRAM, 1): {"stock": 5}, (PROGRAM, 2): {"stock": 6}, (PROGRAM, 3): {"stock": 0}}

    rows = OutboxWriter(low_stock=5).rows({"redemption": redemptions}, rewards)

    assert [row[:5] for row in rows] == [(11, 7, 0, "reward.low_stock", PROGRAM),
                                         (12, 2, 0, "reward.low_stock", PROGRAM)]
    assert json.loads(rows[0][5]) == {"reward_id": 1, "merchant": MERCHANT, "stock": "5", "threshold": 5,
                                      "tx_hash": "0xtx11", "timestamp": 1_700_000_011}
