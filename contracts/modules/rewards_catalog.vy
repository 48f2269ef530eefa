# pragma version ~=0.4.3
"""
@title Rewards Catalog
@custom:contract-name rewards_catalog
@license GNU Affero General Public License v3.0 only
@notice Rewards that holders redeem points for: each has a price in
        points, a stock that redemptions decrement, an active flag, and
        the merchant that honours it, and a public name ("Free
        espresso") carried in its listing event. The owner or the
        reward's merchant lists and updates it; ids count up from 1.

        A merchant acts on the catalog only while it holds a cap and the
        token is not paused, and a revoked merchant's rewards cannot be
        redeemed: nobody would hand them over. The owner may always
        change or deactivate any reward, during an incident too.
"""


from snekmate.auth import ownable
uses: ownable

from snekmate.utils import pausable
uses: pausable

from . import merchant_caps
uses: merchant_caps


# @dev A reward's price, stock and active flag share one slot so that
# a redemption reads and rewrites a single word:
# `price << 128 | stock << 1 | active`.
_PRICE_SHIFT: constant(uint256) = 128
_STOCK_SHIFT: constant(uint256) = 1
_MAX_PRICE: constant(uint256) = (1 << 128) - 1
_MAX_STOCK: constant(uint256) = (1 << 127) - 1
_STOCK_MASK: constant(uint256) = _MAX_STOCK << _STOCK_SHIFT
_ACTIVE: constant(uint256) = 1


# @dev The number of rewards listed; also the last reward id.
reward_count: public(uint256)


# @dev Reward id => the merchant that honours it (zero: no such reward).
_merchant_of: HashMap[uint256, address]


# @dev Reward id => packed (price, stock, active).
_terms: HashMap[uint256, uint256]


# @dev Emitted when a reward is listed; `name` is its public label,
# never personal data, and does not change afterwards.
event RewardListed:
    reward_id: indexed(uint256)
    merchant: indexed(address)
    price: uint256
    stock: uint256
    name: String[64]


# @dev Emitted when a reward's price, stock or active flag is set.
event RewardUpdated:
    reward_id: indexed(uint256)
    price: uint256
    stock: uint256
    active: bool


@deploy
def __init__():
    """
    @dev Nothing to set up: every slot starts empty.
    """
    pass


@external
def add_reward(price: uint256, stock: uint256, merchant: address, name: String[64]) -> uint256:
    """
    @dev Lists an active reward honoured by `merchant`, which must hold a cap.
    @notice Only the owner, or `merchant` itself while it holds a cap
            and the token is not paused.
    @param price Points per unit, at least 1.
    @param stock Units available.
    @param merchant The 20-byte address of the merchant that honours it.
    @param name The reward's public label, shown by the apps.
    @return uint256 The new reward's id.
    """
    assert merchant != empty(address), "rewards_catalog: merchant is the zero address"
    if msg.sender != ownable.owner:
        assert msg.sender == merchant, "rewards_catalog: caller is neither owner nor that merchant"
        pausable._require_not_paused()
    assert merchant_caps._cap_of(merchant) != 0, "rewards_catalog: merchant holds no cap"
    reward_id: uint256 = self.reward_count + 1
    self.reward_count = reward_id
    self._merchant_of[reward_id] = merchant
    self._terms[reward_id] = self._pack(price, stock, True)
    log RewardListed(reward_id=reward_id, merchant=merchant, price=price, stock=stock, name=name)
    return reward_id


@external
def set_reward(reward_id: uint256, price: uint256, stock: uint256, active: bool):
    """
    @dev Changes a reward's price, stock and active flag.
    @notice Only the owner, or the reward's merchant while it holds a
            cap and the token is not paused.
    @param reward_id The reward's id.
    @param price Points per unit, at least 1.
    @param stock Units available.
    @param active Whether the reward can be redeemed.
    """
    merchant: address = self._merchant_of[reward_id]
    assert merchant != empty(address), "rewards_catalog: unknown reward"
    if msg.sender != ownable.owner:
        assert msg.sender == merchant, "rewards_catalog: caller is neither owner nor the reward's merchant"
        assert merchant_caps._cap_of(merchant) != 0, "rewards_catalog: merchant holds no cap"
        pausable._require_not_paused()
    self._terms[reward_id] = self._pack(price, stock, active)
    log RewardUpdated(reward_id=reward_id, price=price, stock=stock, active=active)


@external
@view
def rewards(reward_id: uint256) -> (address, uint256, uint256, bool):
    """
    @dev Returns a reward's terms; all zero for an unknown id.
    @param reward_id The reward's id.
    @return address The merchant that honours it.
    @return uint256 Points per unit.
    @return uint256 Units available.
    @return bool Whether it can be redeemed.
    """
    terms: uint256 = self._terms[reward_id]
    return (
        self._merchant_of[reward_id],
        terms >> _PRICE_SHIFT,
        (terms & _STOCK_MASK) >> _STOCK_SHIFT,
        terms & _ACTIVE == _ACTIVE,
    )


@internal
@pure
def _pack(price: uint256, stock: uint256, active: bool) -> uint256:
    """
    @dev Packs a reward's terms into one word, refusing terms that do not fit.
    @param price Points per unit, at least 1.
    @param stock Units available.
    @param active Whether the reward can be redeemed.
    @return uint256 `price << 128 | stock << 1 | active`.
    """
    assert price != 0, "rewards_catalog: price is zero"
    assert price <= _MAX_PRICE, "rewards_catalog: price exceeds 2**128 - 1"
    assert stock <= _MAX_STOCK, "rewards_catalog: stock exceeds 2**127 - 1"
    return (price << _PRICE_SHIFT) | (stock << _STOCK_SHIFT) | convert(active, uint256)


@internal
def _take(reward_id: uint256, quantity: uint256, max_points: uint256) -> (address, uint256):
    """
    @dev Takes `quantity` units out of stock for a redemption.
    @param reward_id The reward's id.
    @param quantity Units to redeem, at least 1.
    @param max_points The most the holder agreed to pay.
    @return address The merchant that honours the reward.
    @return uint256 The points the redemption costs.
    """
    assert quantity != 0, "rewards_catalog: quantity is zero"
    terms: uint256 = self._terms[reward_id]
    assert terms != 0, "rewards_catalog: unknown reward"
    assert terms & _ACTIVE == _ACTIVE, "rewards_catalog: reward is not active"
    stock: uint256 = (terms & _STOCK_MASK) >> _STOCK_SHIFT
    assert quantity <= stock, "rewards_catalog: not enough stock"
    points: uint256 = (terms >> _PRICE_SHIFT) * quantity
    assert points <= max_points, "rewards_catalog: price exceeds max_points"
    merchant: address = self._merchant_of[reward_id]
    assert merchant_caps._cap_of(merchant) != 0, "rewards_catalog: the reward's merchant is revoked"
    # `quantity` <= `stock`, so the stock field stays non-negative and no borrow reaches the price.
    self._terms[reward_id] = unsafe_sub(terms, quantity << _STOCK_SHIFT)
    return merchant, points
