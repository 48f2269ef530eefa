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


def catalog(token: ContractInstance, from_block: int) -> list[Reward]:
    """Every reward of the program, by id, with its terms now and the names of it and its merchant."""
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
