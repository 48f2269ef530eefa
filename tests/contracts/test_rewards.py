"""The rewards catalog (`add_reward`, `set_reward`, `rewards`) and `redeem`."""

import ape
import pytest

from tests.conftest import VALIDITY
from tests.contracts.signing_helpers import NO_REF, ZERO_ADDRESS, assert_logs

MAX_PRICE = 2**128 - 1
MAX_STOCK = 2**127 - 1

NOT_OWNER_OR_THAT_MERCHANT = "rewards_catalog: caller is neither owner nor that merchant"
NOT_OWNER_OR_REWARDS_MERCHANT = "rewards_catalog: caller is neither owner nor the reward's merchant"
NO_CAP = "rewards_catalog: merchant holds no cap"
UNKNOWN_REWARD = "rewards_catalog: unknown reward"
PRICE_ZERO = "rewards_catalog: price is zero"
PRICE_TOO_HIGH = "rewards_catalog: price exceeds 2**128 - 1"
STOCK_TOO_HIGH = "rewards_catalog: stock exceeds 2**127 - 1"
INACTIVE = "rewards_catalog: reward is not active"
QUANTITY_ZERO = "rewards_catalog: quantity is zero"
STOCK_SHORT = "rewards_catalog: not enough stock"
OVER_MAX_POINTS = "rewards_catalog: price exceeds max_points"
INSUFFICIENT = "expiring_ledger: amount exceeds unexpired balance"
PAUSED = "pausable: contract is paused"


def mint_in_epochs(token, merchant, holder, chain, amounts: dict[int, int]) -> int:
    """Mints `amounts[k]` points to `holder` in epoch `e + k`, where `e` is the current epoch
    (travelling forward to the first second of each); returns `e`."""
    first = token.currentEpoch()
    for offset, amount in sorted(amounts.items()):
        target = token.epoch_start() + (first + offset) * token.epochLength()
        if target > chain.blocks.head.timestamp:
            chain.pending_timestamp = target
        token.mint(holder, amount, NO_REF, sender=merchant)
        assert token.currentEpoch() == first + offset
    return first


def travel_to_epoch(token, chain, epoch: int) -> None:
    chain.mine(timestamp=token.epoch_start() + epoch * token.epochLength())


@pytest.fixture(scope="module")
def other_merchant(accounts, token, owner):
    """A second merchant of the same program."""
    token.set_merchant(accounts[8], 500, "Till", sender=owner)
    return accounts[8]


@pytest.fixture(scope="module")
def former_merchant(accounts, token, owner):
    """A merchant whose role the owner revoked (cap set back to 0)."""
    token.set_merchant(accounts[9], 500, "Till", sender=owner)
    token.set_merchant(accounts[9], 0, "Till", sender=owner)
    return accounts[9]


@pytest.fixture(scope="module", autouse=True)
def roles(other_merchant, former_merchant):
    """Every module-scoped set-up is made before the first test, so that each test starts from
    the same state (ape restores the chain to the module's snapshot between tests)."""


@pytest.fixture
def reward(token, owner, merchant):
    """Reward 1: 30 points a unit, 10 in stock, honoured by `merchant`."""
    token.add_reward(30, 10, merchant, "Reward", sender=owner)
    return 1


# the catalog: listing


def test_owner_lists_a_reward_for_a_merchant(token, owner, merchant):
    assert token.reward_count() == 0

    tx = token.add_reward(25, 10, merchant, "Free espresso", sender=owner)

    assert tx.return_value == 1
    assert token.reward_count() == 1
    assert token.rewards(1) == (merchant.address, 25, 10, True)
    assert_logs(tx, token.RewardListed(reward_id=1, merchant=merchant, price=25, stock=10, name="Free espresso"))


def test_merchant_lists_its_own_reward_and_ids_count_up(token, owner, merchant, other_merchant):
    first = token.add_reward(100, 1, merchant, "Reward", sender=owner)
    second = token.add_reward(40, 7, merchant, "Breakfast combo", sender=merchant)
    third = token.add_reward(5, 0, other_merchant, "", sender=other_merchant)

    assert [first.return_value, second.return_value, third.return_value] == [1, 2, 3]
    assert token.reward_count() == 3
    assert token.rewards(2) == (merchant.address, 40, 7, True)
    assert token.rewards(3) == (other_merchant.address, 5, 0, True)
    assert_logs(second, token.RewardListed(reward_id=2, merchant=merchant, price=40, stock=7, name="Breakfast combo"))
    assert_logs(third, token.RewardListed(reward_id=3, merchant=other_merchant, price=5, stock=0, name=""))


@pytest.mark.parametrize(
    "caller_name, merchant_name, reason",
    [
        ("stranger", "stranger", NO_CAP),  # not a merchant, for itself
        ("stranger", "merchant", NOT_OWNER_OR_THAT_MERCHANT),  # not a merchant, for a merchant
        ("other_merchant", "merchant", NOT_OWNER_OR_THAT_MERCHANT),  # a merchant, for another merchant
        ("merchant", "stranger", NOT_OWNER_OR_THAT_MERCHANT),  # a merchant, for a non-merchant
        ("former_merchant", "former_merchant", NO_CAP),  # a revoked merchant, for itself
        ("alice", "alice", NO_CAP),  # a holder
        ("owner", "stranger", NO_CAP),  # the owner, for an account that is not a merchant
        ("owner", "former_merchant", NO_CAP),  # the owner, for a revoked merchant
    ],
)
def test_add_reward_by_anyone_else_or_for_a_non_merchant_reverts(
    token, request, caller_name, merchant_name, reason, other_merchant, former_merchant
):
    caller = request.getfixturevalue(caller_name)
    listed_for = request.getfixturevalue(merchant_name)

    with ape.reverts(reason):
        token.add_reward(10, 1, listed_for, "Reward", sender=caller)

    assert token.reward_count() == 0


def test_revoked_merchant_lost_the_right_it_had(token, owner, accounts):
    shop = accounts[9]
    token.set_merchant(shop, 500, "Till", sender=owner)
    token.add_reward(10, 1, shop, "Reward", sender=shop)

    token.set_merchant(shop, 0, "Till", sender=owner)

    with ape.reverts(NO_CAP):
        token.add_reward(10, 1, shop, "Reward", sender=shop)
    with ape.reverts(NO_CAP):
        token.set_reward(1, 10, 5, True, sender=shop)
    assert token.reward_count() == 1
    assert token.rewards(1) == (shop.address, 10, 1, True)


def test_add_reward_for_the_zero_address_reverts(token, owner):
    with ape.reverts("rewards_catalog: merchant is the zero address"):
        token.add_reward(10, 1, ZERO_ADDRESS, "Reward", sender=owner)


@pytest.mark.parametrize(
    "price, stock, reason",
    [
        (0, 10, PRICE_ZERO),
        (MAX_PRICE + 1, 10, PRICE_TOO_HIGH),
        (2**255, 10, PRICE_TOO_HIGH),
        (10, MAX_STOCK + 1, STOCK_TOO_HIGH),
        (10, 2**255, STOCK_TOO_HIGH),
    ],
)
def test_add_reward_with_out_of_range_terms_reverts(token, owner, merchant, price, stock, reason):
    with ape.reverts(reason):
        token.add_reward(price, stock, merchant, "Reward", sender=owner)
    assert token.reward_count() == 0


def test_add_reward_at_the_largest_price_and_stock(token, owner, merchant):
    token.add_reward(MAX_PRICE, MAX_STOCK, merchant, "Reward", sender=owner)

    assert token.rewards(1) == (merchant.address, MAX_PRICE, MAX_STOCK, True)


# the catalog: updating


@pytest.mark.parametrize("caller_name", ["owner", "merchant"])
def test_set_reward_by_owner_or_the_rewards_merchant(token, request, merchant, reward, caller_name):
    caller = request.getfixturevalue(caller_name)

    tx = token.set_reward(reward, 45, 3, False, sender=caller)

    assert token.rewards(reward) == (merchant.address, 45, 3, False)
    assert_logs(tx, token.RewardUpdated(reward_id=reward, price=45, stock=3, active=False))

    tx = token.set_reward(reward, 1, 0, True, sender=caller)

    assert token.rewards(reward) == (merchant.address, 1, 0, True)
    assert_logs(tx, token.RewardUpdated(reward_id=reward, price=1, stock=0, active=True))
    assert token.reward_count() == 1


@pytest.mark.parametrize("caller_name", ["other_merchant", "stranger", "alice", "former_merchant"])
def test_set_reward_by_anyone_else_reverts(token, request, merchant, reward, caller_name, other_merchant,
                                           former_merchant):
    caller = request.getfixturevalue(caller_name)

    with ape.reverts(NOT_OWNER_OR_REWARDS_MERCHANT):
        token.set_reward(reward, 1, 1000, True, sender=caller)

    assert token.rewards(reward) == (merchant.address, 30, 10, True)


@pytest.mark.parametrize("reward_id", [0, 2, 2**256 - 1])
def test_set_reward_of_an_unknown_reward_reverts(token, owner, reward, reward_id):
    with ape.reverts(UNKNOWN_REWARD):
        token.set_reward(reward_id, 10, 10, True, sender=owner)


@pytest.mark.parametrize(
    "price, stock, reason",
    [(0, 10, PRICE_ZERO), (MAX_PRICE + 1, 10, PRICE_TOO_HIGH), (10, MAX_STOCK + 1, STOCK_TOO_HIGH)],
)
def test_set_reward_with_out_of_range_terms_reverts(token, merchant, reward, price, stock, reason):
    with ape.reverts(reason):
        token.set_reward(reward, price, stock, True, sender=merchant)
    assert token.rewards(reward) == (merchant.address, 30, 10, True)


def test_rewards_of_an_unknown_id_is_all_zero(token, reward):
    assert token.rewards(0) == (ZERO_ADDRESS, 0, 0, False)
    assert token.rewards(2) == (ZERO_ADDRESS, 0, 0, False)


def test_owner_can_withdraw_a_revoked_merchants_reward(token, owner, merchant, alice, reward):
    token.mint(alice, 100, NO_REF, sender=merchant)
    token.set_merchant(merchant, 0, "Till", sender=owner)

    token.set_reward(reward, 30, 10, False, sender=owner)

    with ape.reverts(INACTIVE):
        token.redeem(reward, 1, 30, sender=alice)


# redeem


def test_redeem_burns_price_times_quantity_soonest_expiring_first(token, merchant, alice, reward, chain):
    first = mint_in_epochs(token, merchant, alice, chain, {0: 100, 2: 200, 4: 50})
    supply = token.totalSupply()

    tx = token.redeem(reward, 4, 120, sender=alice)

    assert tx.return_value == 120
    assert token.balanceOf(alice) == 350 - 120
    assert token.totalSupply() == supply - 120
    assert token.balanceOfAtEpoch(first, alice) == 0
    assert token.balanceOfAtEpoch(first + 2, alice) == 180
    assert token.balanceOfAtEpoch(first + 4, alice) == 50
    expiry = token.epoch_start() + (first + 2 + VALIDITY) * token.epochLength()
    assert token.getNearestExpiryOf(alice) == (180, expiry)
    assert token.rewards(reward) == (merchant.address, 30, 6, True)
    assert_logs(
        tx,
        token.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=120),
        token.Redeemed(holder=alice, reward_id=reward, merchant=merchant, quantity=4, points=120),
    )


def test_redeem_charges_the_price_not_max_points(token, merchant, alice, reward):
    token.mint(alice, 1_000, NO_REF, sender=merchant)

    tx = token.redeem(reward, 2, 1_000, sender=alice)

    assert tx.return_value == 60
    assert token.balanceOf(alice) == 940


def test_redeem_spends_only_unexpired_points(token, merchant, alice, reward, chain):
    first = mint_in_epochs(token, merchant, alice, chain, {0: 100, 3: 40})
    travel_to_epoch(token, chain, first + VALIDITY)  # the first 100 have expired
    assert token.balanceOf(alice) == 40

    with ape.reverts(INSUFFICIENT):
        token.redeem(reward, 2, 60, sender=alice)

    token.redeem(reward, 1, 30, sender=alice)

    assert token.balanceOf(alice) == 10
    assert token.balanceOfAtEpoch(first + 3, alice) == 10
    assert token.totalSupply() == 10


def test_redeem_uses_up_the_stock_exactly(token, merchant, alice, reward):
    token.mint(alice, 1_000, NO_REF, sender=merchant)

    token.redeem(reward, 7, 210, sender=alice)
    with ape.reverts(STOCK_SHORT):
        token.redeem(reward, 4, 120, sender=alice)
    token.redeem(reward, 3, 90, sender=alice)

    assert token.rewards(reward) == (merchant.address, 30, 0, True)
    with ape.reverts(STOCK_SHORT):
        token.redeem(reward, 1, 30, sender=alice)
    assert token.balanceOf(alice) == 1_000 - 300


def test_redeem_at_the_largest_price_and_stock(token, owner, merchant, alice):
    # The largest price a holder can pay in one go is what one merchant may issue in one
    # period (the cap's 96 bits); the catalog itself stores prices up to 2**128 - 1.
    token.add_reward(MAX_PRICE, MAX_STOCK, merchant, "Reward", sender=owner)
    assert token.rewards(1) == (merchant.address, MAX_PRICE, MAX_STOCK, True)
    payable = 2**96 - 1
    token.set_reward(1, payable, MAX_STOCK, True, sender=owner)
    token.set_merchant(merchant, payable, "Till", sender=owner)
    token.mint(alice, payable, NO_REF, sender=merchant)

    tx = token.redeem(1, 1, payable, sender=alice)

    assert tx.return_value == payable
    assert token.balanceOf(alice) == 0
    assert token.rewards(1) == (merchant.address, payable, MAX_STOCK - 1, True)


def test_redeem_of_an_inactive_reward_reverts(token, merchant, alice, reward):
    token.mint(alice, 100, NO_REF, sender=merchant)
    token.set_reward(reward, 30, 10, False, sender=merchant)

    with ape.reverts(INACTIVE):
        token.redeem(reward, 1, 30, sender=alice)

    token.set_reward(reward, 30, 10, True, sender=merchant)
    token.redeem(reward, 1, 30, sender=alice)
    assert token.balanceOf(alice) == 70


@pytest.mark.parametrize("reward_id", [0, 2, 2**256 - 1])
def test_redeem_of_an_unknown_reward_reverts(token, merchant, alice, reward, reward_id):
    token.mint(alice, 100, NO_REF, sender=merchant)

    with ape.reverts(UNKNOWN_REWARD):
        token.redeem(reward_id, 1, 100, sender=alice)


def test_redeem_of_quantity_zero_reverts(token, merchant, alice, reward):
    token.mint(alice, 100, NO_REF, sender=merchant)

    with ape.reverts(QUANTITY_ZERO):
        token.redeem(reward, 0, 100, sender=alice)


def test_redeem_beyond_the_stock_reverts(token, merchant, alice, reward):
    token.mint(alice, 1_000, NO_REF, sender=merchant)

    with ape.reverts(STOCK_SHORT):
        token.redeem(reward, 11, 330, sender=alice)
    assert token.balanceOf(alice) == 1_000
    assert token.rewards(reward) == (merchant.address, 30, 10, True)


def test_redeem_after_a_price_rise_reverts(token, merchant, alice, reward):
    token.mint(alice, 1_000, NO_REF, sender=merchant)
    _, price, _, _ = token.rewards(reward)
    quoted = price * 3  # what the holder's wallet showed

    token.set_reward(reward, price + 1, 10, True, sender=merchant)  # lands first

    with ape.reverts(OVER_MAX_POINTS):
        token.redeem(reward, 3, quoted, sender=alice)
    assert token.balanceOf(alice) == 1_000
    token.redeem(reward, 3, 3 * (price + 1), sender=alice)
    assert token.balanceOf(alice) == 1_000 - 93


def test_redeem_with_max_points_one_short_reverts(token, merchant, alice, reward):
    token.mint(alice, 1_000, NO_REF, sender=merchant)

    with ape.reverts(OVER_MAX_POINTS):
        token.redeem(reward, 2, 59, sender=alice)


def test_redeem_with_too_few_points_reverts(token, merchant, alice, bob, reward):
    token.mint(alice, 89, NO_REF, sender=merchant)

    with ape.reverts(INSUFFICIENT):
        token.redeem(reward, 3, 90, sender=alice)
    with ape.reverts(INSUFFICIENT):
        token.redeem(reward, 1, 30, sender=bob)

    assert token.balanceOf(alice) == 89
    assert token.rewards(reward) == (merchant.address, 30, 10, True)


def test_redeem_while_paused_reverts(token, owner, merchant, alice, reward):
    token.mint(alice, 100, NO_REF, sender=merchant)
    token.pause(sender=owner)

    with ape.reverts(PAUSED):
        token.redeem(reward, 1, 30, sender=alice)

    token.unpause(sender=owner)
    token.redeem(reward, 1, 30, sender=alice)
    assert token.balanceOf(alice) == 70


def test_redeem_works_when_transfers_are_disabled(token, owner, merchant, alice, bob, reward):
    token.mint(alice, 100, NO_REF, sender=merchant)
    token.set_transferable(False, sender=owner)
    with ape.reverts("PointsToken: transfers between holders are disabled"):
        token.transfer(bob, 1, sender=alice)

    tx = token.redeem(reward, 2, 60, sender=alice)

    assert tx.return_value == 60
    assert token.balanceOf(alice) == 40
    assert_logs(
        tx,
        token.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=60),
        token.Redeemed(holder=alice, reward_id=reward, merchant=merchant, quantity=2, points=60),
    )


def test_redeem_names_the_rewards_merchant(token, owner, merchant, other_merchant, alice):
    token.add_reward(10, 5, merchant, "Reward", sender=merchant)
    token.add_reward(20, 5, other_merchant, "Reward", sender=owner)
    token.mint(alice, 100, NO_REF, sender=merchant)

    tx = token.redeem(2, 1, 20, sender=alice)

    assert_logs(
        tx,
        token.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=20),
        token.Redeemed(holder=alice, reward_id=2, merchant=other_merchant, quantity=1, points=20),
    )
    assert token.rewards(1) == (merchant.address, 10, 5, True)
    assert token.rewards(2) == (other_merchant.address, 20, 4, True)
