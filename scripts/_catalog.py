"""A program's merchants and rewards as the chain states them, names included: names live only in
the `MerchantSet` and `RewardListed` events, so they are read from the program's logs."""

from dataclasses import dataclass

from ape import chain
from ape.contracts import ContractInstance


@dataclass(frozen=True)
class Reward:
    reward_id: int
    name: str
    merchant: str
    merchant_name: str
    price: int
    stock: int
    active: bool
    merchant_revoked: bool

    @property
    def redeemable(self) -> bool:
        return self.active and not self.merchant_revoked and self.stock > 0


def merchant_names(token: ContractInstance, from_block: int) -> dict[str, str]:
    """Each merchant's name: the latest `MerchantSet` wins."""
    return {log.merchant: log.name for log in token.MerchantSet.range(from_block, chain.blocks.height + 1)}


def reward_names(token: ContractInstance, from_block: int) -> dict[int, str]:
    """Each reward's name, given once when it was listed."""
    return {log.reward_id: log.name for log in token.RewardListed.range(from_block, chain.blocks.height + 1)}


def catalog(token: ContractInstance, from_block: int, merchants: dict[str, str] | None = None) -> list[Reward]:
    """Every reward of the program, by id, with its terms now and the names of it and its merchant;
    `merchants` is `merchant_names` when the caller has read it already (each is a scan of logs)."""
    if merchants is None:
        merchants = merchant_names(token, from_block)
    names = reward_names(token, from_block)
    revoked: dict[str, bool] = {}
    rewards = []
    for reward_id in range(1, token.reward_count() + 1):
        merchant, price, stock, active = token.rewards(reward_id)
        if merchant not in revoked:  # a merchant's cap is read once however many rewards it honours
            revoked[merchant] = token.merchant_cap(merchant) == 0
        rewards.append(Reward(
            reward_id=reward_id,
            name=names.get(reward_id, ""),
            merchant=merchant,
            merchant_name=merchants.get(merchant, ""),
            price=price,
            stock=stock,
            active=active,
            merchant_revoked=revoked[merchant],
        ))
    return rewards



def stocks_last_set(token: ContractInstance, from_block: int) -> dict[int, int]:
    """Each reward's stock as last set on purpose: at listing, or by a `set_reward` that changed it.

    A `set_reward` that changes only the price or activity must re-send the stock that is left; that
    is no new stock, so the events are replayed with the redemptions between them to tell the two
    apart."""
    end = chain.blocks.height + 1
    logs = sorted(
        [*token.RewardListed.range(from_block, end), *token.RewardUpdated.range(from_block, end),
         *token.Redeemed.range(from_block, end)],
        key=lambda log: (log.block_number, log.log_index),
    )
    left: dict[int, int] = {}
    last_set: dict[int, int] = {}
    for log in logs:
        if log.event_name == "Redeemed":
            left[log.reward_id] -= log.quantity
            continue
        if log.event_name == "RewardListed" or log.stock != left[log.reward_id]:
            last_set[log.reward_id] = log.stock
        left[log.reward_id] = log.stock
    return last_set
