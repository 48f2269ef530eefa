"""Checks a redemption against the chain before anything is signed or sent.

The contract enforces all of this too; checking first turns a revert into a line that says what
to change.
"""

from dataclasses import dataclass

from ape.contracts import ContractInstance

from points.errors import PointsError
from scripts._operator import check_not_paused


@dataclass(frozen=True)
class Reward:
    reward_id: int
    merchant: str
    price: int
    stock: int
    active: bool


def reward_of(token: ContractInstance, key: str, reward_id: int) -> Reward:
    merchant, price, stock, active = token.rewards(reward_id)
    if price == 0:
        count = token.reward_count()
        listed = f"rewards 1 to {count}" if count else "no rewards"
        raise PointsError(f"reward {reward_id} does not exist in {key!r} (it lists {listed})")
    return Reward(reward_id, merchant, price, stock, active)


def check_redeemable(
    token: ContractInstance, key: str, holder: str, reward_id: int, quantity: int, max_points: int | None
) -> tuple[Reward, int]:
    """The reward and what the redemption costs; `max_points` defaults to that cost."""
    check_not_paused(token, key)
    reward = reward_of(token, key, reward_id)
    cost = reward.price * quantity
    symbol = token.symbol()
    if not reward.active:
        raise PointsError(f"reward {reward_id} of {key!r} is not active")
    if token.merchant_cap(reward.merchant) == 0:
        raise PointsError(f"reward {reward_id} of {key!r} cannot be redeemed: its merchant {reward.merchant} "
                          "was revoked")
    if quantity > reward.stock:
        raise PointsError(f"reward {reward_id} of {key!r} has {reward.stock} in stock, not {quantity}")
    if max_points is not None and cost > max_points:
        raise PointsError(
            f"{quantity} x reward {reward_id} costs {cost} {symbol} ({reward.price} each), more than "
            f"--max-points {max_points}"
        )
    balance = token.balanceOf(holder)
    if balance < cost:
        raise PointsError(f"{holder} holds {balance} {symbol}, not the {cost} {symbol} the redemption costs")
    return reward, cost
