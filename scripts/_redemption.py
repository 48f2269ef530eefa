"""Reads what a redemption depends on through ape, for the checks of `points.preconditions`."""

from ape.contracts import ContractInstance

from points.preconditions import RedemptionView, Reward, redemption_cost


def redemption_view(token: ContractInstance, key: str, holder: str, reward_id: int) -> RedemptionView:
    merchant, price, stock, active = token.rewards(reward_id)
    return RedemptionView(
        program=key, symbol=token.symbol(), paused=token.paused(),
        reward=Reward(reward_id, merchant, price, stock, active), reward_count=token.reward_count(),
        merchant_cap=token.merchant_cap(merchant), balance=token.balanceOf(holder),
    )


def check_redeemable(
    token: ContractInstance, key: str, holder: str, reward_id: int, quantity: int, max_points: int | None
) -> tuple[Reward, int]:
    """The reward and what the redemption costs; `max_points` defaults to that cost."""
    view = redemption_view(token, key, holder, reward_id)
    return view.reward, redemption_cost(view, quantity, max_points, holder)
