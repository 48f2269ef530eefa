"""The webhook outbox: the events a batch holds, written in the batch's own transaction.

The store writes the rows as the batch's `outbox` facts, so a crash keeps or loses them with the
batch, and a rollback deletes them with their blocks before the notifier (which waits until a
block is each subscription's `confirmations` deep) has sent them. A row names its movement by key
rather than copying it: the notifier reads the movement beside it, and a backfill writes a few
narrow rows instead of a second copy of its busiest table.
"""

import orjson

from database.kinds import MovementKind
from indexer.store import Fact, Key, Row
from points.webhooks import EventType

EVENT_OF_MOVEMENT = {
    MovementKind.ISSUED: EventType.ISSUED,
    MovementKind.REDEEMED: EventType.REDEEMED,
    MovementKind.EXCHANGED: EventType.EXCHANGED,
    MovementKind.REVOKED: EventType.REVOKED,
    MovementKind.EXPIRED: EventType.EXPIRED,
}
# The columns of the projector's movement and redemption facts that events read.
_BLOCK, _LOG_INDEX, _SEQ, _PROGRAM, _KIND = 0, 1, 2, 3, 5
_REWARD_PROGRAM, _REWARD_ID, _REWARD_MERCHANT, _TX_HASH, _TIMESTAMP = 2, 4, 5, 8, 9


class OutboxWriter:
    """Makes a batch's outbox rows from its facts and the state at its end."""

    def __init__(self, low_stock: int) -> None:
        self.low_stock = low_stock

    def rows(self, facts: dict[str, list[Fact]], rewards: dict[Key, Row]) -> list[Fact]:
        """One row per movement a webhook reports, and a `reward.low_stock` per reward whose
        redemptions in the batch left its stock at or below the threshold (at its last one)."""
        events = EVENT_OF_MOVEMENT
        rows: list[Fact] = [
            (movement[_BLOCK], movement[_LOG_INDEX], movement[_SEQ], events[movement[_KIND]], movement[_PROGRAM], None)
            for movement in facts.get("movement", ()) if movement[_KIND] in events
        ]
        last_redemption = {(fact[_REWARD_PROGRAM], fact[_REWARD_ID]): fact for fact in facts.get("redemption", ())}
        for key, redemption in last_redemption.items():
            reward = rewards.get(key)
            if reward is None or int(reward["stock"]) > self.low_stock:
                continue
            detail = {"reward_id": redemption[_REWARD_ID], "merchant": redemption[_REWARD_MERCHANT],
                      "stock": str(reward["stock"]), "threshold": self.low_stock,
                      "tx_hash": redemption[_TX_HASH], "timestamp": redemption[_TIMESTAMP]}
            # Keyed by the `Redeemed` log, which no movement is.
            rows.append((redemption[_BLOCK], redemption[_LOG_INDEX], 0, EventType.LOW_STOCK,
                         redemption[_REWARD_PROGRAM], orjson.dumps(detail).decode()))
        return rows
